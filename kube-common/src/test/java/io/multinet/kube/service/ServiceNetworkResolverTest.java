package io.multinet.kube.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.multinet.kube.crd.NetworkResource;
import io.multinet.kube.network.NetworkCatalog;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The resolution order of issue 3, and namespace admission. Networks blue, red and tenants use
 * 10.96.0.0/16; attachments below.
 */
class ServiceNetworkResolverTest {

  private static final NetworkCatalog CATALOG =
      NetworkCatalog.build(
          List.of(net("blue", 56, "tenant/blue-net"), net("red", 57, "red-net")),
          List.of(),
          List.of());

  @Test
  void resolve_followsTheDocumentedOrder() {
    Namespace nsRed =
        new NamespaceBuilder()
            .withNewMetadata()
            .withName("tenant")
            .withAnnotations(Map.of(ServiceNetworkResolver.NAMESPACE_DEFAULT_NETWORK, "red"))
            .endMetadata()
            .build();

    assertThat(
            network(
                svc(
                    Map.of(
                        ServiceNetworkResolver.NETWORK,
                        "blue",
                        ServiceNetworkResolver.MULTUS_SERVICE_NETWORK,
                        "red-net")),
                nsRed))
        .isEqualTo("blue annotation multinet.io/network");
    assertThat(
            network(
                svc(
                    Map.of(
                        ServiceNetworkResolver.MULTUS_SERVICE_NETWORK,
                        "blue-net",
                        ServiceNetworkResolver.CALICO_NETWORK,
                        "red")),
                nsRed))
        .isEqualTo("blue annotation k8s.v1.cni.cncf.io/service-network");
    assertThat(network(svc(Map.of(ServiceNetworkResolver.CALICO_NETWORK, "blue")), nsRed))
        .isEqualTo("blue annotation extensions.projectcalico.org/network");
    assertThat(network(svc(Map.of()), nsRed))
        .isEqualTo("red namespace annotation multinet.io/default-network");
    assertThat(network(svc(Map.of()), null)).isEqualTo("default default network");
    assertThat(network(svc(Map.of(ServiceNetworkResolver.NETWORK, "default")), nsRed))
        .isEqualTo("default annotation multinet.io/network");
  }

  @Test
  void resolve_multusServiceName_isRelativeToTheServiceNamespace() {
    // "blue-net" in namespace tenant is tenant/blue-net; "other/blue-net" is not attached anywhere.
    assertThat(
            network(
                svc(Map.of(ServiceNetworkResolver.MULTUS_SERVICE_NETWORK, "tenant/blue-net")),
                null))
        .startsWith("blue");
    var rejected =
        ServiceNetworkResolver.resolve(
            svc(Map.of(ServiceNetworkResolver.MULTUS_SERVICE_NETWORK, "other/blue-net")),
            null,
            CATALOG);
    assertThat(rejected)
        .isInstanceOfSatisfying(
            ServiceNetworkResolver.Rejected.class,
            r -> {
              assertThat(r.problem().reason()).isEqualTo("UnknownNetwork");
              assertThat(r.problem().message()).contains("none lists other/blue-net");
            });
  }

  @Test
  void resolve_calicoSelector_usedOnlyWhenSpecSelectorIsEmpty() {
    Service calico =
        new ServiceBuilder(
                svc(
                    Map.of(
                        ServiceNetworkResolver.CALICO_NETWORK,
                        "blue",
                        ServiceNetworkResolver.CALICO_SELECTOR,
                        "app == 'MyApp' && tier == \"db\"")))
            .editSpec()
            .withSelector(null)
            .endSpec()
            .build();
    var r = (ServiceNetworkResolver.Resolved) ServiceNetworkResolver.resolve(calico, null, CATALOG);
    assertThat(r.serviceNetwork().selector()).isEqualTo(Map.of("app", "MyApp", "tier", "db"));

    Service both =
        svc(
            Map.of(
                ServiceNetworkResolver.CALICO_NETWORK,
                "blue",
                ServiceNetworkResolver.CALICO_SELECTOR,
                "app=other"));
    var r2 = (ServiceNetworkResolver.Resolved) ServiceNetworkResolver.resolve(both, null, CATALOG);
    assertThat(r2.serviceNetwork().selector()).isEqualTo(Map.of("app", "web"));
  }

  @Test
  void parseSelector_rejectsSetBasedTerms() {
    assertThat(ServiceNetworkResolver.parseSelector("app=MyApp")).isEqualTo(Map.of("app", "MyApp"));
    assertThatThrownBy(() -> ServiceNetworkResolver.parseSelector("app != web"))
        .hasMessageContaining("expected: equality terms");
    for (String bad :
        new String[] {
          "app ==", "app == 'x' &&", "== 'web'", "app == 'a b'", "(((", "app == '-x'"
        }) {
      assertThatThrownBy(() -> ServiceNetworkResolver.parseSelector(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("expected:");
    }
    assertThat(ServiceNetworkResolver.parseSelector("app.kubernetes.io/name == 'web' && tier=db"))
        .isEqualTo(Map.of("app.kubernetes.io/name", "web", "tier", "db"));
    assertThatThrownBy(() -> ServiceNetworkResolver.parseSelector(" , "))
        .hasMessageContaining("at least one term");
  }

  @Test
  void resolve_namespaceSelector_admitsOnlyMatchingNamespaces() {
    var tenants = net("tenants", 58, "tenants-net");
    tenants.getSpec().namespaceSelector =
        new LabelSelectorBuilder().withMatchLabels(Map.of("tenant", "a")).build();
    NetworkCatalog catalog =
        NetworkCatalog.build(
            List.of(tenants, net("blue", 56, "tenant/blue-net")), List.of(), List.of());
    Service svc = svc(Map.of(ServiceNetworkResolver.NETWORK, "tenants"));

    var admitted = ServiceNetworkResolver.resolve(svc, namespace(Map.of("tenant", "a")), catalog);
    assertThat(admitted)
        .isInstanceOfSatisfying(
            ServiceNetworkResolver.Resolved.class,
            r -> assertThat(r.serviceNetwork().network().name()).isEqualTo("tenants"));

    for (Namespace ns : new Namespace[] {namespace(Map.of("tenant", "b")), null}) {
      assertThat(ServiceNetworkResolver.resolve(svc, ns, catalog))
          .as("namespace %s", ns == null ? "unknown" : ns.getMetadata().getLabels())
          .isInstanceOfSatisfying(
              ServiceNetworkResolver.Rejected.class,
              r -> {
                assertThat(r.problem().reason()).isEqualTo("NamespaceNotAdmitted");
                assertThat(r.problem().kind()).isEqualTo("Service");
                assertThat(r.problem().namespace()).isEqualTo("tenant");
                assertThat(r.problem().name()).isEqualTo("web");
                assertThat(r.problem().message())
                    .isEqualTo(
                        "namespace: tenant (expected: a namespace matching network tenants's"
                            + " namespaceSelector tenant=a)");
              });
    }
    // Every way of naming the network is checked, the namespace's default too.
    Namespace defaulting =
        new NamespaceBuilder(namespace(Map.of("tenant", "b")))
            .editMetadata()
            .withAnnotations(Map.of(ServiceNetworkResolver.NAMESPACE_DEFAULT_NETWORK, "tenants"))
            .endMetadata()
            .build();
    assertThat(ServiceNetworkResolver.resolve(svc(Map.of()), defaulting, catalog))
        .isInstanceOf(ServiceNetworkResolver.Rejected.class);
    assertThat(
            ServiceNetworkResolver.resolve(
                svc(Map.of(ServiceNetworkResolver.MULTUS_SERVICE_NETWORK, "tenants-net")),
                namespace(Map.of()),
                catalog))
        .isInstanceOf(ServiceNetworkResolver.Rejected.class);
    assertThat(
            ServiceNetworkResolver.resolve(
                svc(Map.of(ServiceNetworkResolver.CALICO_NETWORK, "tenants")),
                namespace(Map.of()),
                catalog))
        .isInstanceOf(ServiceNetworkResolver.Rejected.class);
  }

  @Test
  void resolve_noSelector_admitsEveryNamespaceKnownOrNot() {
    Service svc = svc(Map.of(ServiceNetworkResolver.NETWORK, "blue"));
    assertThat(ServiceNetworkResolver.resolve(svc, null, CATALOG))
        .isInstanceOf(ServiceNetworkResolver.Resolved.class);
    assertThat(ServiceNetworkResolver.resolve(svc, namespace(Map.of("tenant", "b")), CATALOG))
        .isInstanceOf(ServiceNetworkResolver.Resolved.class);
  }

  private static Namespace namespace(Map<String, String> labels) {
    return new NamespaceBuilder()
        .withNewMetadata()
        .withName("tenant")
        .withLabels(labels)
        .endMetadata()
        .build();
  }

  private static String network(Service s, Namespace ns) {
    var r = ServiceNetworkResolver.resolve(s, ns, CATALOG);
    assertThat(r).isInstanceOf(ServiceNetworkResolver.Resolved.class);
    ServiceNetwork sn = ((ServiceNetworkResolver.Resolved) r).serviceNetwork();
    return (sn.network() == null ? "default" : sn.network().name()) + " " + sn.source();
  }

  private static Service svc(Map<String, String> annotations) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withName("web")
        .withNamespace("tenant")
        .withAnnotations(new HashMap<>(annotations))
        .endMetadata()
        .withNewSpec()
        .withSelector(Map.of("app", "web"))
        .endSpec()
        .build();
  }

  private static NetworkResource net(String name, int id, String attachment) {
    var n = new NetworkResource();
    n.getMetadata().setName(name);
    var spec = new NetworkResource.Spec();
    spec.id = id;
    spec.serviceCIDRs = List.of("10.96.0.0/16");
    spec.attachments = List.of(attachment);
    n.setSpec(spec);
    return n;
  }
}
