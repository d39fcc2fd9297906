package io.multinet.dataplane.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.multinet.dataplane.lab.LabAssumptions;
import io.multinet.dataplane.lab.LabNamespaces;
import java.util.StringJoiner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The libnftables context's recovery, in a namespace each test creates. Addresses: 10.0.0.0/8. */
class NftExecutorTest {

  private String netns = "";
  private NftExecutor nft;

  @BeforeEach
  void setUp() throws Exception {
    LabAssumptions.assumeKernelDataplane();
    netns = LabNamespaces.create("mpx");
    nft = new NftExecutor(netns);
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      if (nft != null) {
        nft.close();
      }
    } finally {
      if (!netns.isEmpty()) {
        LabNamespaces.delete(netns);
      }
    }
  }

  @Test
  void run_afterABatchThatFloodsErrors_stillWorks() throws Exception {
    nft.run("table inet t {\n  map m { typeof ip daddr : ip daddr; size 4; }\n}\n");
    // 70,000 elements over the map's limit, in commands of 512 as NftRenderer writes them: the
    // kernel answers each message with an error that echoes it, more than the socket holds.
    var flood = new StringBuilder();
    for (int c = 0; c < 70_000 / 512; c++) {
      var command = new StringJoiner(", ", "add element inet t m { ", " }\n");
      for (int i = c * 512; i < (c + 1) * 512; i++) {
        command.add("10." + (i >> 16) + "." + (i >> 8 & 0xff) + "." + (i & 0xff) + " : 10.255.0.1");
      }
      flood.append(command);
    }
    assertThatThrownBy(() -> nft.run(flood.toString())).isInstanceOf(NftException.class);

    nft.run("add element inet t m { 10.9.9.9 : 10.255.0.1 }");

    assertThat(nft.run("list map inet t m")).contains("10.9.9.9 : 10.255.0.1");
  }
}
