package io.multinet.demo;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.multinet.kube.attachment.NetworkStatus;
import io.multinet.kube.attachment.PodInterface;
import io.multinet.kube.network.NetworkCatalog;
import io.multinet.kube.service.ServiceNetworkResolver;
import io.multinet.network.IpAddress;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The embedded API server has no kube-controller-manager: this writes the default network's
 * EndpointSlices (one per selector Service, named {@code <service>-default}) from the pods' default
 * addresses in their network-status, as Kubernetes' EndpointSlice controller would, and removes
 * those whose Service is gone. Network Services get theirs from the project's controller. Every
 * Service or pod change schedules one pass over all of them (the demo is small); an unchanged slice
 * is not written.
 */
final class DefaultEndpointSlices implements AutoCloseable {

  static final String MANAGED_BY = "demo.multinet.io";

  private final KubernetesClient client;
  private final Supplier<NetworkCatalog> catalog;
  private final String nodeName;
  private final PrintWriter log;
  private final ScheduledExecutorService worker =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().daemon().name("demo-endpointslices").factory());
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
  private @Nullable SharedIndexInformer<Service> services;
  private @Nullable SharedIndexInformer<Pod> pods;

  DefaultEndpointSlices(
      KubernetesClient client, Supplier<NetworkCatalog> catalog, String nodeName, PrintWriter log) {
    this.client = requireNonNull(client, "client");
    this.catalog = requireNonNull(catalog, "catalog");
    this.nodeName = requireNonNull(nodeName, "nodeName");
    this.log = requireNonNull(log, "log");
  }

  void start() {
    services = watch(client.services().inAnyNamespace().runnableInformer(0));
    pods = watch(client.pods().inAnyNamespace().runnableInformer(0));
    // Networks come and go too (a Service's network may change): a slow pass catches that.
    var _ = worker.scheduleWithFixedDelay(this::schedule, 30, 30, TimeUnit.SECONDS);
  }

  private <T> SharedIndexInformer<T> watch(SharedIndexInformer<T> informer) {
    informer.addEventHandler(
        new ResourceEventHandler<T>() {
          @Override
          public void onAdd(T obj) {
            schedule();
          }

          @Override
          public void onUpdate(T oldObj, T newObj) {
            schedule();
          }

          @Override
          public void onDelete(T obj, boolean deletedFinalStateUnknown) {
            schedule();
          }
        });
    informers.add(informer);
    informer.run();
    return informer;
  }

  private void schedule() {
    if (scheduled.compareAndSet(false, true)) {
      try {
        // A short pause gathers a burst of changes (a pod's status and annotation) into one pass.
        var _ = worker.schedule(this::pass, 50, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        scheduled.set(false); // closing
      }
    }
  }

  private void pass() {
    scheduled.set(false);
    try {
      reconcile();
    } catch (RuntimeException e) {
      log.println("demo endpointslices: " + e.getMessage());
      log.flush();
      schedule();
    }
  }

  /** Writes every slice now, on the caller's thread: the demo's start waits for its slices. */
  synchronized void reconcile() {
    var svcs = requireNonNull(services, "services");
    var podStore = requireNonNull(pods, "pods");
    NetworkCatalog networks = catalog.get();
    Map<String, EndpointSlice> desired = new HashMap<>();
    for (Service s : svcs.getStore().list()) {
      String ns = s.getMetadata().getNamespace();
      Namespace namespace = client.namespaces().withName(ns).get();
      var resolved = ServiceNetworkResolver.resolve(s, namespace, networks);
      if (!(resolved instanceof ServiceNetworkResolver.Resolved r)
          || r.serviceNetwork().network() != null
          || r.serviceNetwork().selector().isEmpty()) {
        continue;
      }
      List<Pod> selected = new ArrayList<>();
      for (Pod pod : podStore.getStore().list()) {
        Map<String, String> labels =
            Objects.requireNonNullElse(pod.getMetadata().getLabels(), Map.of());
        if (ns.equals(pod.getMetadata().getNamespace())
            && labels.entrySet().containsAll(r.serviceNetwork().selector().entrySet())) {
          selected.add(pod);
        }
      }
      EndpointSlice slice = slice(s, selected);
      desired.put(ns + "/" + slice.getMetadata().getName(), slice);
    }
    var existing =
        client
            .discovery()
            .v1()
            .endpointSlices()
            .inAnyNamespace()
            .withLabel("endpointslice.kubernetes.io/managed-by", MANAGED_BY)
            .list()
            .getItems();
    Map<String, EndpointSlice> have = new HashMap<>();
    for (EndpointSlice e : existing) {
      have.put(e.getMetadata().getNamespace() + "/" + e.getMetadata().getName(), e);
    }
    for (var entry : desired.entrySet()) {
      EndpointSlice want = entry.getValue();
      EndpointSlice got = have.remove(entry.getKey());
      if (got != null
          && Objects.equals(got.getEndpoints(), want.getEndpoints())
          && Objects.equals(got.getPorts(), want.getPorts())) {
        continue;
      }
      client.resource(want).createOr(e -> e.update());
    }
    for (EndpointSlice orphan : have.values()) {
      client.resource(orphan).delete();
    }
  }

  private EndpointSlice slice(Service s, List<Pod> selected) {
    var b =
        new EndpointSliceBuilder()
            .withNewMetadata()
            .withName(s.getMetadata().getName() + "-default")
            .withNamespace(s.getMetadata().getNamespace())
            .addToLabels("kubernetes.io/service-name", s.getMetadata().getName())
            .addToLabels("endpointslice.kubernetes.io/managed-by", MANAGED_BY)
            .endMetadata()
            .withAddressType("IPv4");
    for (ServicePort p : s.getSpec().getPorts()) {
      Integer target = targetPort(p, selected);
      if (target != null) {
        b.addNewPort()
            .withName(p.getName())
            .withProtocol(p.getProtocol())
            .withPort(target)
            .endPort();
      }
    }
    for (Pod pod : selected) {
      IpAddress address = defaultAddress(pod);
      if (address == null || pod.getMetadata().getDeletionTimestamp() != null) {
        continue;
      }
      boolean ready = ready(pod);
      b.addNewEndpoint()
          .withAddresses(address.toString())
          .withNodeName(
              pod.getSpec() == null || pod.getSpec().getNodeName() == null
                  ? nodeName
                  : pod.getSpec().getNodeName())
          .withNewTargetRef()
          .withKind("Pod")
          .withNamespace(pod.getMetadata().getNamespace())
          .withName(pod.getMetadata().getName())
          .withUid(pod.getMetadata().getUid())
          .endTargetRef()
          .withNewConditions()
          .withReady(ready)
          .withServing(ready)
          .withTerminating(false)
          .endConditions()
          .endEndpoint();
    }
    return b.build();
  }

  /** A number as is; a name through the selected pods' container ports; unresolved is left out. */
  private static @Nullable Integer targetPort(ServicePort p, List<Pod> pods) {
    var target = p.getTargetPort();
    if (target == null) {
      return p.getPort();
    }
    if (target.getIntVal() != null) {
      return target.getIntVal();
    }
    for (Pod pod : pods) {
      if (pod.getSpec() == null) {
        continue;
      }
      for (var c : pod.getSpec().getContainers()) {
        for (ContainerPort cp : c.getPorts()) {
          if (Objects.equals(cp.getName(), target.getStrVal())) {
            return cp.getContainerPort();
          }
        }
      }
    }
    return null;
  }

  private static @Nullable IpAddress defaultAddress(Pod pod) {
    List<PodInterface> status;
    try {
      status =
          NetworkStatus.fromAnnotations(
              Objects.requireNonNullElse(pod.getMetadata().getAnnotations(), Map.of()));
    } catch (IllegalArgumentException e) {
      return null; // the controller reports it
    }
    for (PodInterface i : status) {
      if (i.isDefault() && !i.addresses().isEmpty() && i.addresses().getFirst().isV4()) {
        return i.addresses().getFirst();
      }
    }
    return null;
  }

  private static boolean ready(Pod pod) {
    if (pod.getStatus() == null) {
      return false;
    }
    for (PodCondition c : pod.getStatus().getConditions()) {
      if ("Ready".equals(c.getType())) {
        return "True".equals(c.getStatus());
      }
    }
    return false;
  }

  @Override
  public void close() {
    informers.forEach(SharedIndexInformer::close);
    worker.shutdownNow();
    try {
      worker.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
