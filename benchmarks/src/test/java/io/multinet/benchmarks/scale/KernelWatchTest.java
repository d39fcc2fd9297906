package io.multinet.benchmarks.scale;

import static org.assertj.core.api.Assertions.assertThat;

import io.multinet.benchmarks.scale.KernelWatch.Event;
import org.junit.jupiter.api.Test;

class KernelWatchTest {

  @Test
  void parse_endpointElements_giveKeySlotAndAddress() {
    assertThat(
            KernelWatch.parse(
                "add element inet multinet ep4_tcp { 56 . 10.96.0.10 . 80 . 3 : 10.128.0.1 . 8080"
                    + ", 56 . 10.96.0.10 . 80 . 4 : 10.128.0.2 . 8080 }"))
        .containsExactly(
            new Event(true, "ep4_tcp", "56 10.96.0.10 80", 3, "10.128.0.1"),
            new Event(true, "ep4_tcp", "56 10.96.0.10 80", 4, "10.128.0.2"));
    assertThat(
            KernelWatch.parse(
                "delete element inet multinet ep4_tcp { 0 . 10.97.1.2 . 80 . 0 : 10.128.0.1 . 8080 }"))
        .containsExactly(new Event(false, "ep4_tcp", "0 10.97.1.2 80", 0, "10.128.0.1"));
  }

  @Test
  void parse_serviceElement_givesKeyWithoutProtocol() {
    assertThat(
            KernelWatch.parse(
                "add element inet multinet svc4 { 0 . 10.96.0.10 . tcp . 80 : goto lb_rand_10 }"))
        .containsExactly(new Event(true, "svc4", "0 10.96.0.10 80", -1, null));
  }

  @Test
  void parse_otherLines_giveNothing() {
    assertThat(KernelWatch.parse("add table inet multinet")).isEmpty();
    assertThat(KernelWatch.parse("# new generation 3 by process 6599 (nft)")).isEmpty();
    assertThat(KernelWatch.parse("add element inet multinet hairpin4 { 0 . 10.128.0.1 }"))
        .isEmpty();
  }
}
