package io.multinet.table;

import static org.assertj.core.api.Assertions.assertThat;

import io.multinet.network.IpAddress;
import io.multinet.network.Protocol;
import io.multinet.service.Endpoint;
import io.multinet.service.ServicePort;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Address ranges: see {@link TestTables}. */
class ServiceTableHolderTest {

  @Test
  void publish_returnsTheDiffFromTheReplacedTable() {
    var holder = new ServiceTableHolder(ServiceTable.empty(TestTables.NODE));
    var b = TestTables.twoNetworks();
    ServicePort sp = TestTables.port("web", 56, "10.96.0.10", 80, 2, 8080);
    b.add(sp);
    ServiceTable next = b.build();

    TableDiff d = holder.publish(next);

    assertThat(d.added()).containsExactly(sp.key());
    assertThat(holder.current()).isSameAs(next);
    assertThat(holder.publish(next).isEmpty()).isTrue();
  }

  /**
   * Readers racing a publisher only ever see whole snapshots: for the two alternating tables every
   * backend of a found entry has the same target port (all 1111 or all 2222), and the key is always
   * found, because both tables hold it.
   */
  @Test
  void lookup_whilePublishing_seesWholeSnapshots() throws Exception {
    ServiceTable a = table(1111, 50);
    ServiceTable b = table(2222, 80);
    var holder = new ServiceTableHolder(a);
    IpAddress vip = IpAddress.parse("10.96.0.10");
    var stop = new AtomicBoolean();
    var errors = new ConcurrentLinkedQueue<String>();
    var start = new CountDownLatch(1);
    List<Thread> readers = new ArrayList<>();
    for (int r = 0; r < 2; r++) {
      Thread t =
          Thread.ofPlatform()
              .start(
                  () -> {
                    try {
                      start.await();
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                      return;
                    }
                    int hash = 0;
                    // Bounded: ends when the publisher is done or after 5 million lookups.
                    for (int i = 0; i < 5_000_000 && !stop.get(); i++) {
                      ServiceTable current = holder.current();
                      ServiceEntry e = current.lookup(56, vip.high(), vip.low(), Protocol.TCP, 80);
                      if (e == null) {
                        errors.add("key missing in a published table");
                        return;
                      }
                      Endpoint chosen = e.select(hash += 0x9E3779B9);
                      int expectedPort = e.backendCount() == 50 ? 1111 : 2222;
                      if (chosen == null || chosen.port() != expectedPort) {
                        errors.add(
                            "mixed snapshot: "
                                + chosen
                                + " with "
                                + e.backendCount()
                                + " backends");
                        return;
                      }
                    }
                  });
      readers.add(t);
    }
    start.countDown();
    for (int i = 0; i < 20_000; i++) {
      holder.publish((i & 1) == 0 ? b : a);
    }
    stop.set(true);
    for (Thread t : readers) {
      assertThat(t.join(java.time.Duration.ofSeconds(30))).isTrue();
    }
    assertThat(errors).isEmpty();
    assertThat(TimeUnit.SECONDS).isNotNull();
  }

  private static ServiceTable table(int targetPort, int backends) {
    var b = TestTables.twoNetworks();
    b.add(TestTables.port("web", 56, "10.96.0.10", 80, backends, targetPort));
    return b.build();
  }
}
