package io.multinet.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Cluster CIDR 10.244.0.0/16 and fd00:244::/56 are the config's example ranges. */
class ProxyConfigTest {

  @Test
  void read_kubeProxyConfiguration_takesTheFieldsWeHonour(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("config.yaml");
    Files.writeString(
        f,
        """
        apiVersion: kubeproxy.config.k8s.io/v1alpha1
        kind: KubeProxyConfiguration
        mode: nftables
        clusterCIDR: 10.244.0.0/16,fd00:244::/56
        healthzBindAddress: 0.0.0.0:10256
        metricsBindAddress: 127.0.0.1:10249
        hostnameOverride: node-7
        nodePortAddresses: [192.0.2.0/24, "2001:db8::/64"]
        nftables:
          masqueradeBit: 14
          minSyncPeriod: 500ms
          syncPeriod: 1m30s
        iptables:
          masqueradeAll: true
        """);

    ProxyConfig c = ProxyConfig.read(f);

    assertThat(c.minSyncPeriod()).isEqualTo(Duration.ofMillis(500));
    assertThat(c.syncPeriod()).isEqualTo(Duration.ofSeconds(90));
    assertThat(c.clusterCidrs()).containsExactly("10.244.0.0/16", "fd00:244::/56");
    assertThat(c.masqueradeAll()).isTrue();
    assertThat(c.hostnameOverride()).isEqualTo("node-7");
    assertThat(c.nodePortAddresses()).containsExactly("192.0.2.0/24", "2001:db8::/64");
    assertThat(c.metricsBindAddress()).isEqualTo("127.0.0.1:10249");
  }

  @Test
  void read_otherKind_fails(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("x.yaml");
    Files.writeString(f, "kind: ConfigMap\n");
    assertThatThrownBy(() -> ProxyConfig.read(f))
        .hasMessageContaining("expected: KubeProxyConfiguration");
  }

  @Test
  void duration_goSyntax() {
    assertThat(ProxyConfig.duration("1h2m3s")).isEqualTo(Duration.ofSeconds(3723));
    assertThat(ProxyConfig.duration("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThatThrownBy(() -> ProxyConfig.duration("5 minutes")).hasMessageContaining("expected");
  }
}
