package io.multinet.kube.service;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Service;
import io.multinet.kube.Problem;
import io.multinet.kube.network.NetworkCatalog;
import io.multinet.kube.network.NetworkDefinition;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Decides a Service's network, in this order: our annotation; the multus-service annotation (a
 * NetworkAttachmentDefinition mapped through Network attachments); the Calico/VPP annotations; the
 * Namespace's default network; otherwise the default network.
 */
public final class ServiceNetworkResolver {

  public static final String NETWORK = "multinet.io/network";
  public static final String MULTUS_SERVICE_NETWORK = "k8s.v1.cni.cncf.io/service-network";
  public static final String CALICO_NETWORK = "extensions.projectcalico.org/network";
  public static final String CALICO_SELECTOR = "extensions.projectcalico.org/selector";
  public static final String NAMESPACE_DEFAULT_NETWORK = "multinet.io/default-network";

  private ServiceNetworkResolver() {}

  /** The outcome: a network, or the problem that stopped the Service from getting one. */
  public sealed interface Result {}

  /** The Service's network. */
  public record Resolved(ServiceNetwork serviceNetwork) implements Result {}

  /** The Service names something invalid; it gets no endpoints until fixed. */
  public record Rejected(Problem problem) implements Result {}

  public static Result resolve(
      Service service, @Nullable Namespace namespace, NetworkCatalog catalog) {
    requireNonNull(service, "service");
    requireNonNull(catalog, "catalog");
    Map<String, String> annotations = orEmpty(service.getMetadata().getAnnotations());
    String ns = service.getMetadata().getNamespace();
    Map<String, String> selector =
        orEmpty(service.getSpec() == null ? null : service.getSpec().getSelector());

    String ours = annotations.get(NETWORK);
    if (ours != null) {
      return byName(service, namespace, ours.trim(), selector, "annotation " + NETWORK, catalog);
    }
    String multus = annotations.get(MULTUS_SERVICE_NETWORK);
    if (multus != null) {
      String ref = multus.trim();
      int slash = ref.indexOf('/');
      String nadNs = slash < 0 ? ns : ref.substring(0, slash);
      String nadName = slash < 0 ? ref : ref.substring(slash + 1);
      NetworkDefinition d = catalog.byAttachment(nadNs, nadName);
      if (d == null) {
        return reject(
            service,
            "UnknownNetwork",
            MULTUS_SERVICE_NETWORK
                + ": "
                + ref
                + " (expected: a NetworkAttachmentDefinition listed in a Network's spec.attachments;"
                + " none lists "
                + nadNs
                + "/"
                + nadName
                + ")");
      }
      return admitted(
          service,
          namespace,
          new ServiceNetwork(d, selector, "annotation " + MULTUS_SERVICE_NETWORK));
    }
    String calico = annotations.get(CALICO_NETWORK);
    if (calico != null) {
      Map<String, String> effective = selector;
      String calicoSelector = annotations.get(CALICO_SELECTOR);
      if (effective.isEmpty() && calicoSelector != null) {
        try {
          effective = parseSelector(calicoSelector);
        } catch (IllegalArgumentException e) {
          return reject(
              service, "InvalidSelector", CALICO_SELECTOR + ": " + String.valueOf(e.getMessage()));
        }
      }
      return byName(
          service, namespace, calico.trim(), effective, "annotation " + CALICO_NETWORK, catalog);
    }
    if (namespace != null) {
      String nsDefault =
          orEmpty(namespace.getMetadata().getAnnotations()).get(NAMESPACE_DEFAULT_NETWORK);
      if (nsDefault != null) {
        return byName(
            service,
            namespace,
            nsDefault.trim(),
            selector,
            "namespace annotation " + NAMESPACE_DEFAULT_NETWORK,
            catalog);
      }
    }
    return new Resolved(new ServiceNetwork(null, selector, "default network"));
  }

  private static Result byName(
      Service service,
      @Nullable Namespace namespace,
      String name,
      Map<String, String> selector,
      String source,
      NetworkCatalog catalog) {
    if (name.equals("default")) {
      return new Resolved(new ServiceNetwork(null, selector, source));
    }
    NetworkDefinition d = catalog.byName(name);
    if (d == null) {
      return reject(
          service,
          "UnknownNetwork",
          source.substring(source.lastIndexOf(' ') + 1)
              + ": "
              + name
              + " (expected: the name of a valid Network; known: "
              + catalog.networks().stream().map(NetworkDefinition::name).toList()
              + ")");
    }
    return admitted(service, namespace, new ServiceNetwork(d, selector, source));
  }

  /**
   * The network if its {@code namespaceSelector} admits the Service's namespace; otherwise the
   * Service gets nothing in it (no address, no slice, no DNS name): the network's owner decides.
   */
  private static Result admitted(
      Service service, @Nullable Namespace namespace, ServiceNetwork resolved) {
    NetworkDefinition d = resolved.network();
    if (d == null || d.namespaces().admits(namespace)) {
      return new Resolved(resolved);
    }
    return reject(
        service,
        "NamespaceNotAdmitted",
        "namespace: "
            + service.getMetadata().getNamespace()
            + " (expected: a namespace matching network "
            + d.name()
            + "'s namespaceSelector "
            + d.namespaces()
            + ")");
  }

  private static Result reject(Service service, String reason, String message) {
    return new Rejected(
        new Problem(
            "Service",
            service.getMetadata().getNamespace(),
            service.getMetadata().getName(),
            reason,
            message));
  }

  /**
   * Parses an equality selector: Kubernetes' {@code app=web,tier=db} or Calico's {@code app ==
   * 'web' && tier == "db"}.
   */
  private static final java.util.regex.Pattern LABEL_KEY =
      java.util.regex.Pattern.compile(
          "([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");

  private static final java.util.regex.Pattern LABEL_VALUE =
      java.util.regex.Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");

  static Map<String, String> parseSelector(String text) {
    var out = new LinkedHashMap<String, String>();
    String normalized = text.replace("&&", ",");
    String[] terms = normalized.split(",", -1);
    for (String term : terms) {
      String t = term.trim();
      if (t.isEmpty()) {
        if (normalized.replace(",", "").isBlank()) {
          continue; // no term at all: reported below
        }
        throw new IllegalArgumentException(
            text + " (expected: a term on each side of every , or &&)");
      }
      int eq = t.indexOf("==");
      int len = 2;
      if (eq < 0) {
        eq = t.indexOf('=');
        len = 1;
      }
      if (eq <= 0 || t.contains("!")) {
        throw new IllegalArgumentException(
            text
                + " (expected: equality terms such as app=web or app == 'web', joined by , or &&)");
      }
      String key = t.substring(0, eq).trim();
      String value = unquote(t.substring(eq + len).trim());
      // Label syntax: a selector that matches nothing by accident is worse than a clear error.
      if (!LABEL_KEY.matcher(key).matches() || !LABEL_VALUE.matcher(value).matches()) {
        throw new IllegalArgumentException(
            text
                + " (expected: label keys and non-empty label values such as app == 'web'; got "
                + key
                + " == '"
                + value
                + "')");
      }
      out.put(key, value);
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(text + " (expected: at least one term such as app=web)");
    }
    return out;
  }

  private static String unquote(String v) {
    if (v.length() >= 2
        && ((v.startsWith("'") && v.endsWith("'")) || (v.startsWith("\"") && v.endsWith("\"")))) {
      return v.substring(1, v.length() - 1);
    }
    return v;
  }

  private static Map<String, String> orEmpty(@Nullable Map<String, String> m) {
    return m == null ? Map.of() : m;
  }
}
