package io.multinet.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.multinet.network.IpAddress;
import io.multinet.nodeproxy.dns.DnsOptions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The chart's DNS values reach the node proxy: Helm (the real binary, as CI fetches it) renders the
 * DaemonSet, and its node-proxy arguments parse as {@code run}'s command line into the DNS options
 * the process would start with. Addresses: 192.0.2.53 (upstream), 10.96.0.11 (default network's).
 */
class ChartDnsTest {

  @Test
  void template_dnsValues_becomeTheRunCommandsDnsOptions() throws Exception {
    RunCommand run =
        parse(
            "--set",
            "nodeProxy.dns.clusterDomain=corp.example",
            "--set",
            "nodeProxy.dns.ttl=30",
            "--set",
            "nodeProxy.dns.upstreams[0]=192.0.2.53",
            "--set",
            "nodeProxy.dns.defaultNetwork.enabled=true",
            "--set",
            "nodeProxy.dns.defaultNetwork.clusterIPs[0]=10.96.0.11");

    DnsOptions dns = run.dns.options(null);

    assertThat(dns).isNotNull();
    assertThat(dns.clusterDomain()).isEqualTo("corp.example");
    assertThat(dns.ttlSeconds()).isEqualTo(30);
    assertThat(dns.nodeUpstreams()).containsExactly(new InetSocketAddress("192.0.2.53", 53));
    assertThat(dns.defaultNetwork()).isTrue();
    assertThat(run.dns.defaultNetworkIps()).containsExactly(IpAddress.parse("10.96.0.11"));
  }

  @Test
  void template_defaults_serveEveryNetworksDnsButNotTheDefaultNetworks() throws Exception {
    RunCommand run = parse();

    DnsOptions dns = run.dns.options(null);

    assertThat(dns).isNotNull();
    assertThat(dns.clusterDomain()).isEqualTo("cluster.local");
    assertThat(dns.ttlSeconds()).isEqualTo(5);
    assertThat(dns.defaultNetwork()).isFalse();
  }

  @Test
  void template_dnsDisabled_startsWithoutDns() throws Exception {
    assertThat(parse("--set", "nodeProxy.dns.enabled=false").dns.options(null)).isNull();
  }

  /** Renders the chart with {@code values} and parses the node proxy's arguments. */
  private static RunCommand parse(String... values) throws Exception {
    List<String> args = nodeProxyArgs(values);
    var command = MultinetProxy.newCommandLine();
    var result = command.parseArgs(args.toArray(String[]::new));
    assertThat(result.subcommand()).as("args %s", args).isNotNull();
    return (RunCommand) result.subcommand().commandSpec().userObject();
  }

  private static List<String> nodeProxyArgs(String... values)
      throws IOException, InterruptedException {
    var helm =
        new ProcessBuilder("bash", Kubectl.repoRoot().resolve("charts/helm.sh").toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String binary = new String(helm.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(helm.waitFor(5, TimeUnit.MINUTES) && helm.exitValue() == 0).isTrue();
    List<String> command = new ArrayList<>(List.of(binary, "template", "t"));
    command.add(Kubectl.repoRoot().resolve("charts/multinet-proxy").toString());
    command.addAll(List.of(values));
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String yaml = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(1, TimeUnit.MINUTES)).isTrue();
    assertThat(p.exitValue()).as(yaml).isZero();
    for (String doc : yaml.split("(?m)^---$")) {
      if (!doc.contains("kind: DaemonSet")) {
        continue;
      }
      DaemonSet ds = Serialization.unmarshal(doc, DaemonSet.class);
      return ds.getSpec().getTemplate().getSpec().getContainers().stream()
          .filter(c -> c.getName().equals("node-proxy"))
          .findFirst()
          .orElseThrow()
          .getArgs()
          .stream()
          .map(a -> a.replace("$(NODE_NAME)", "node-1"))
          .toList();
    }
    throw new AssertionError("no DaemonSet in:\n" + yaml);
  }
}
