package io.multinet.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.multinet.network.IpAddress;
import io.multinet.network.Protocol;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Test addresses: cluster IPs 10.96.0.0/16 and fd00:96::/112, pods 10.1.0.0/16 and fd00:1::/64. */
class ModelValidationTest {

  private static final ServicePortName NAME = new ServicePortName("ns", "web", "http");
  private static final ServicePortKey KEY = ServicePortKey.of(0, "10.96.0.10", Protocol.TCP, 80);

  @Test
  void servicePortKey_portOutOfRange_fails() {
    assertThatThrownBy(() -> ServicePortKey.of(0, "10.96.0.10", Protocol.TCP, 70000))
        .hasMessage("port: 70000 (expected: 1-65535)");
    assertThatThrownBy(() -> ServicePortKey.of(0, "10.96.0.10", Protocol.TCP, 0))
        .hasMessage("port: 0 (expected: 1-65535)");
    assertThatThrownBy(() -> ServicePortKey.of(65536, "10.96.0.10", Protocol.TCP, 80))
        .hasMessage("networkId: 65536 (expected: 0-65535)");
  }

  @Test
  void servicePortKey_toString_bracketsV6() {
    assertThat(ServicePortKey.of(56, "fd00:96::a", Protocol.UDP, 53))
        .hasToString("56/[fd00:96::a]:53/UDP");
    assertThat(KEY).hasToString("0/10.96.0.10:80/TCP");
  }

  @Test
  void endpoint_portOutOfRange_fails() {
    assertThatThrownBy(() -> Endpoint.builder("10.1.0.5", 0).build())
        .hasMessage("port: 0 (expected: 1-65535)");
  }

  @Test
  void endpoint_hintsAreOrderInsensitive() {
    Endpoint a = Endpoint.builder("10.1.0.5", 80).zoneHints("b", "a").build();
    Endpoint b = Endpoint.builder("10.1.0.5", 80).zoneHints("a", "b").build();
    assertThat(a).isEqualTo(b);
  }

  @Test
  void servicePort_sortsEndpoints_soEqualInputsAreEqual() {
    Endpoint e1 = Endpoint.builder("10.1.0.5", 80).build();
    Endpoint e2 = Endpoint.builder("10.1.0.4", 80).build();
    ServicePort a = ServicePort.of(NAME, KEY, List.of(e1, e2));
    ServicePort b = ServicePort.of(NAME, KEY, List.of(e2, e1));
    assertThat(a).isEqualTo(b);
    assertThat(a.endpoints()).containsExactly(e2, e1);
  }

  @Test
  void servicePort_duplicateEndpoint_fails() {
    Endpoint e = Endpoint.builder("10.1.0.5", 80).build();
    assertThatThrownBy(() -> ServicePort.of(NAME, KEY, List.of(e, e)))
        .hasMessage("endpoints: 10.1.0.5:80 appears twice (expected: unique address:port)");
  }

  @Test
  void servicePort_mixedFamilies_fails() {
    Endpoint v6 = Endpoint.builder("fd00:1::5", 80).build();
    assertThatThrownBy(() -> ServicePort.of(NAME, KEY, List.of(v6)))
        .hasMessage("endpoints: [fd00:1::5]:80 (expected: IPV4 like 0/10.96.0.10:80/TCP)");
    assertThatThrownBy(
            () ->
                ServicePort.of(NAME, KEY, List.of())
                    .withExternal(0, List.of(IpAddress.parse("2001:db8::1"))))
        .hasMessage("externalAddresses: 2001:db8::1 (expected: IPV4 like 0/10.96.0.10:80/TCP)");
  }

  @Test
  void servicePort_nodePortOutOfRange_fails() {
    assertThatThrownBy(() -> ServicePort.of(NAME, KEY, List.of()).withExternal(70000, List.of()))
        .hasMessage("nodePort: 70000 (expected: 1-65535)");
  }

  @Test
  void sessionAffinity_timeoutOutOfRange_fails() {
    assertThatThrownBy(() -> SessionAffinity.clientIp(0))
        .hasMessage("timeoutSeconds: 0 (expected: 1-86400)");
    assertThatThrownBy(() -> SessionAffinity.clientIp(86401))
        .hasMessage("timeoutSeconds: 86401 (expected: 1-86400)");
    assertThat(SessionAffinity.clientIp(SessionAffinity.DEFAULT_TIMEOUT_SECONDS).timeoutSeconds())
        .isEqualTo(10800);
  }

  @Test
  void usesEndpoints_followKubeProxy() {
    ServicePort plain = ServicePort.of(NAME, KEY, List.of());
    assertThat(plain.usesClusterEndpoints()).isTrue();
    assertThat(plain.usesLocalEndpoints()).isFalse();

    ServicePort etpLocalInternalOnly =
        plain.withPolicy(ServicePortPolicy.DEFAULT.withExternalTrafficPolicy(TrafficPolicy.LOCAL));
    assertThat(etpLocalInternalOnly.usesLocalEndpoints()).isFalse();
    assertThat(etpLocalInternalOnly.withExternal(30080, List.of()).usesLocalEndpoints()).isTrue();

    ServicePort itpLocal =
        plain.withPolicy(ServicePortPolicy.DEFAULT.withInternalTrafficPolicy(TrafficPolicy.LOCAL));
    assertThat(itpLocal.usesClusterEndpoints()).isFalse();
    assertThat(itpLocal.withExternal(30080, List.of()).usesClusterEndpoints()).isTrue();
  }
}
