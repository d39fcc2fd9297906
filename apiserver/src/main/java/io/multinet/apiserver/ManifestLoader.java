package io.multinet.apiserver;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.multinet.kube.Problem;
import io.multinet.kube.crd.CalicoNetworkResource;
import io.multinet.kube.crd.ClusterIPClaim;
import io.multinet.kube.crd.NetworkAttachmentDefinition;
import io.multinet.kube.crd.NetworkResource;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * Loads manifests into an API server: every {@code .yaml}, {@code .yml} and {@code .json} file
 * under a directory (multi-document files, {@code v1 List}s, {@code kubectl get -o yaml} output).
 * CRDs go first, then Namespaces, Nodes, attachments and Networks, then the rest, so informers and
 * the controller see a consistent cluster. A file or object that cannot be loaded becomes a {@link
 * Problem}, never an exception: one bad manifest does not stop the others.
 */
public final class ManifestLoader {

  /** Typed classes for the custom kinds this project reads, by apiVersion and kind. */
  private static final Map<String, Class<? extends HasMetadata>> CUSTOM_KINDS =
      Map.of(
          "multinet.io/v1alpha1/Network", NetworkResource.class,
          "multinet.io/v1alpha1/ClusterIPClaim", ClusterIPClaim.class,
          "projectcalico.org/v3/Network", CalicoNetworkResource.class,
          "k8s.cni.cncf.io/v1/NetworkAttachmentDefinition", NetworkAttachmentDefinition.class);

  /** The finalizer that keeps a terminating object from a dump while it is loaded. */
  static final String HOLD = "multinet.io/terminating-in-dump";

  private final KubernetesClient client;
  private final String defaultNamespace;

  public ManifestLoader(KubernetesClient client, String defaultNamespace) {
    this.client = requireNonNull(client, "client");
    this.defaultNamespace = requireNonNull(defaultNamespace, "defaultNamespace");
  }

  /** What was created, and what was not and why. */
  public record Result(List<HasMetadata> created, List<Problem> problems) {}

  /** Loads every manifest file below {@code dir}, in path order. */
  public Result loadDirectory(Path dir) throws IOException {
    List<Path> files;
    try (Stream<Path> walk = Files.walk(dir)) {
      files =
          walk.filter(Files::isRegularFile)
              .filter(
                  p -> {
                    String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                    return n.endsWith(".yaml") || n.endsWith(".yml") || n.endsWith(".json");
                  })
              .sorted()
              .toList();
    }
    List<HasMetadata> items = new ArrayList<>();
    List<Problem> problems = new ArrayList<>();
    for (Path f : files) {
      try (InputStream in = Files.newInputStream(f)) {
        items.addAll(parse(in));
      } catch (RuntimeException e) {
        problems.add(
            new Problem(
                "File",
                "",
                dir.relativize(f).toString(),
                "UnreadableManifest",
                String.valueOf(e.getMessage())));
      }
    }
    Result r = create(items);
    problems.addAll(r.problems());
    return new Result(r.created(), problems);
  }

  /** Parses one stream of manifests into objects, typed where this project knows the kind. */
  public List<HasMetadata> parse(InputStream in) {
    List<HasMetadata> out = new ArrayList<>();
    for (HasMetadata item : client.load(in).items()) {
      if (item == null) {
        continue;
      }
      out.add(typed(item));
    }
    return out;
  }

  /** Creates objects in dependency order; duplicates and refusals become problems. */
  public Result create(List<HasMetadata> items) {
    List<HasMetadata> ordered = new ArrayList<>(items);
    ordered.sort(Comparator.comparingInt(ManifestLoader::rank));
    List<HasMetadata> created = new ArrayList<>();
    List<Problem> problems = new ArrayList<>();
    for (HasMetadata item : ordered) {
      String kind = item.getKind() == null ? "Object" : item.getKind();
      if (item.getMetadata() == null || item.getMetadata().getName() == null) {
        problems.add(
            new Problem(
                kind,
                "",
                "(unnamed)",
                "InvalidManifest",
                "metadata.name: missing (expected: a named object)"));
        continue;
      }
      if (item instanceof GenericKubernetesResource) {
        problems.add(
            new Problem(
                kind,
                nullToEmpty(item.getMetadata().getNamespace()),
                item.getMetadata().getName(),
                "UnsupportedKind",
                item.getApiVersion()
                    + " "
                    + kind
                    + " (expected: a kind multinet-proxy reads; ignored)"));
        continue;
      }
      if (item instanceof Namespaced && item.getMetadata().getNamespace() == null) {
        item.getMetadata().setNamespace(defaultNamespace);
      }
      String deletion = item.getMetadata().getDeletionTimestamp();
      try {
        HasMetadata made = client.resource(item).create();
        if (deletion != null) {
          made = restoreDeletion(made, deletion, kind, problems);
        }
        created.add(made);
      } catch (KubernetesClientException e) {
        String reason =
            e.getCode() == HttpURLConnection.HTTP_CONFLICT ? "DuplicateObject" : "CreateFailed";
        problems.add(
            new Problem(
                kind,
                nullToEmpty(item.getMetadata().getNamespace()),
                item.getMetadata().getName(),
                reason,
                e.getCode() + ": " + e.getStatus().getMessage()));
      }
    }
    return new Result(created, problems);
  }

  /**
   * An API server clears {@code deletionTimestamp} on create, yet a dump of a cluster holds
   * terminating objects (a Pod in its grace period) and the controller must see them terminating.
   * It is written back with an update. An API server keeps a terminating object only while
   * something holds it (a finalizer, or for a Pod the kubelet's grace period); the embedded server
   * knows only finalizers and removes an object marked for deletion without one, so {@link #HOLD}
   * stands in for the grace period. A server that still drops it is reported.
   */
  private HasMetadata restoreDeletion(
      HasMetadata made, String deletion, String kind, List<Problem> problems) {
    var meta = made.getMetadata();
    meta.setDeletionTimestamp(deletion);
    if (meta.getFinalizers() == null || meta.getFinalizers().isEmpty()) {
      meta.setFinalizers(List.of(HOLD));
    }
    HasMetadata updated = client.resource(made).update();
    if (updated == null || !deletion.equals(updated.getMetadata().getDeletionTimestamp())) {
      problems.add(
          new Problem(
              kind,
              nullToEmpty(meta.getNamespace()),
              meta.getName(),
              "DeletionNotRestored",
              "metadata.deletionTimestamp: "
                  + deletion
                  + " (expected: kept; the API server dropped it, so the object is not terminating)"));
      return made;
    }
    return updated;
  }

  private HasMetadata typed(HasMetadata item) {
    if (!(item instanceof GenericKubernetesResource)) {
      return item;
    }
    Class<? extends HasMetadata> cls =
        CUSTOM_KINDS.get(item.getApiVersion() + "/" + item.getKind());
    if (cls == null) {
      return item;
    }
    var ser = client.getKubernetesSerialization();
    return ser.unmarshal(ser.asJson(item), cls);
  }

  private static int rank(KubernetesResource r) {
    if (r instanceof CustomResourceDefinition) {
      return 0;
    }
    if (r instanceof Namespace) {
      return 1;
    }
    if (r instanceof Node) {
      return 2;
    }
    if (r instanceof NetworkAttachmentDefinition) {
      return 3;
    }
    if (r instanceof NetworkResource || r instanceof CalicoNetworkResource) {
      return 4;
    }
    return 5;
  }

  private static String nullToEmpty(@Nullable String s) {
    return s == null ? "" : s;
  }
}
