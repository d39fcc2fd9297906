package io.multinet.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ServiceBuilder;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The Table conversion, checked against what Kubernetes' printers and table convertors compute for
 * the same objects. Addresses: 10.96.0.0/16 and 10.43.0.0/16 cluster IPs, 10.1.0.0/16 pods,
 * 192.0.2.0/24 external (nothing is sent to any).
 */
class TablesTest {

  private static final String KUBECTL_ACCEPT =
      "application/json;as=Table;v=v1;g=meta.k8s.io,"
          + "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
  private static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");
  private static final Tables.Request METADATA = new Tables.Request("v1", "Metadata");

  private static JsonNode json(String json) {
    return Discovery.JSON.readTree(json);
  }

  private static List<String> cells(Printers.Printer printer, String object) {
    List<String> out = new ArrayList<>();
    for (JsonNode c : printer.cells().of(json(object), NOW)) {
      out.add(c.isNull() ? null : c.isString() ? c.asString() : c.toString());
    }
    return out;
  }

  private static List<String> columnNames(Printers.Printer printer) {
    List<String> out = new ArrayList<>();
    printer.columns().forEach(c -> out.add(c.path("name").asString()));
    return out;
  }

  private static Printers.Printer builtIn(String group, String plural) {
    var printer = Printers.builtIn(group, plural);
    assertThat(printer).as(group + "/" + plural).isNotNull();
    return printer;
  }

  @Test
  void negotiatedVersion_followsTheAcceptOrder() {
    assertThat(Tables.negotiatedVersion(KUBECTL_ACCEPT)).isEqualTo("v1");
    assertThat(
            Tables.negotiatedVersion(
                "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"))
        .isEqualTo("v1beta1");
    assertThat(
            Tables.negotiatedVersion(
                "application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io,"
                    + "application/json;as=Table;v=v1;g=meta.k8s.io"))
        .isEqualTo("v1");
    assertThat(
            Tables.negotiatedVersion(
                "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,"
                    + "application/json"))
        .isNull();
    assertThat(Tables.negotiatedVersion("application/json")).isNull();
    assertThat(Tables.negotiatedVersion(null)).isNull();
    assertThat(Tables.negotiatedVersion("application/vnd.kubernetes.protobuf,application/json"))
        .isNull();
  }

  @Test
  void request_unknownIncludeObject_refusedAsTheApiServerDoes() {
    assertThat(Tables.request("/api/v1/pods?includeObject=Object", KUBECTL_ACCEPT))
        .isEqualTo(new Tables.Request("v1", "Object"));
    assertThat(Tables.request("/api/v1/pods", KUBECTL_ACCEPT))
        .isEqualTo(new Tables.Request("v1", "Metadata"));
    assertThatThrownBy(() -> Tables.request("/api/v1/pods?includeObject=All", KUBECTL_ACCEPT))
        .hasMessage(
            "Unable to convert to Table as requested: includeObject: Unsupported value: \"All\":"
                + " supported values: \"Metadata\", \"None\", \"Object\"");
  }

  @Test
  void everyBuiltInPrinter_fillsOneCellPerColumn() {
    for (String key : Printers.builtInKeys()) {
      int slash = key.indexOf('/');
      var printer = builtIn(key.substring(0, slash), key.substring(slash + 1));
      var cells = printer.cells().of(json("{\"metadata\":{\"name\":\"x\"}}"), NOW);
      assertThat(cells).as(key).hasSize(printer.columns().size());
      printer
          .columns()
          .forEach(
              c -> {
                assertThat(c.path("description").asString()).as(key).isNotEmpty();
                assertThat(c.has("format") && c.has("priority") && c.has("type")).isTrue();
              });
    }
  }

  @Test
  void pod_readyStatusRestartsAndWideCells() {
    var printer = builtIn("", "pods");
    String pod =
        """
        {"metadata": {"name": "web", "creationTimestamp": "2026-12-07T11:55:00Z"},
         "spec": {"nodeName": "node-1", "containers": [{"name": "a"}, {"name": "b"}],
                  "readinessGates": [{"conditionType": "example.com/lb"}]},
         "status": {"phase": "Running", "podIP": "10.1.0.11",
                    "conditions": [{"type": "Ready", "status": "True"},
                                   {"type": "example.com/lb", "status": "True"}],
                    "containerStatuses": [
                      {"name": "a", "ready": true, "restartCount": 2, "state": {"running": {}},
                       "lastState": {"terminated": {"finishedAt": "2026-12-07T11:58:00Z"}}},
                      {"name": "b", "ready": true, "restartCount": 1, "state": {"running": {}}}]}}
        """;

    assertThat(columnNames(printer))
        .containsExactly(
            "Name",
            "Ready",
            "Status",
            "Restarts",
            "Age",
            "IP",
            "Node",
            "Nominated Node",
            "Readiness Gates");
    assertThat(cells(printer, pod))
        .containsExactly(
            "web", "2/2", "Running", "3 (2m ago)", "5m", "10.1.0.11", "node-1", "<none>", "1/1");
  }

  @Test
  void pod_waitingInitContainerTerminatingAndFinished() {
    var printer = builtIn("", "pods");
    String initializing =
        """
        {"metadata": {"name": "p"},
         "spec": {"initContainers": [{"name": "init"}], "containers": [{"name": "c"}]},
         "status": {"phase": "Pending",
                    "initContainerStatuses": [{"name": "init",
                      "state": {"waiting": {"reason": "ImagePullBackOff"}}}]}}
        """;
    String deleting =
        """
        {"metadata": {"name": "p", "deletionTimestamp": "2026-12-07T11:59:00Z"},
         "spec": {"containers": [{"name": "c"}]}, "status": {"phase": "Running"}}
        """;
    String crashed =
        """
        {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c"}]},
         "status": {"phase": "Running", "containerStatuses": [{"name": "c",
                    "state": {"terminated": {"exitCode": 137, "signal": 0}}}]}}
        """;

    assertThat(cells(printer, initializing).subList(1, 5))
        .containsExactly("0/1", "Init:ImagePullBackOff", "0", "<unknown>");
    assertThat(cells(printer, deleting).get(2)).isEqualTo("Terminating");
    assertThat(cells(printer, crashed).get(2)).isEqualTo("ExitCode:137");
    assertThat(Printers.podConditions(json("{\"status\":{\"phase\":\"Succeeded\"}}")))
        .hasToString(
            "[{\"type\":\"Completed\",\"status\":\"True\",\"reason\":\"Succeeded\","
                + "\"message\":\"The pod has completed successfully.\"}]");
  }

  @Test
  void service_typesAddressesAndPorts() {
    var printer = builtIn("", "services");
    String defaulted =
        """
        {"metadata": {"name": "plain"},
         "spec": {"clusterIP": "10.43.0.20", "selector": {"tier": "b", "app": "web"},
                  "ports": [{"port": 80}, {"port": 53, "protocol": "UDP"}]}}
        """;
    String nodePort =
        """
        {"metadata": {"name": "np"},
         "spec": {"type": "NodePort", "clusterIPs": ["10.96.0.10"],
                  "externalIPs": ["192.0.2.7"],
                  "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}]}}
        """;
    String balancer =
        """
        {"metadata": {"name": "lb"}, "spec": {"type": "LoadBalancer", "ports": []},
         "status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.9"}, {"hostname": "a.example"}]}}}
        """;

    assertThat(columnNames(printer))
        .containsExactly("Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector");
    assertThat(cells(printer, defaulted))
        .containsExactly(
            "plain",
            "ClusterIP",
            "10.43.0.20",
            "<none>",
            "80/TCP,53/UDP",
            "<unknown>",
            "app=web,tier=b");
    assertThat(cells(printer, nodePort))
        .containsExactly(
            "np", "NodePort", "10.96.0.10", "192.0.2.7", "80:30080/TCP", "<unknown>", "<none>");
    assertThat(cells(printer, balancer).subList(2, 5))
        .containsExactly("<none>", "192.0.2.9,a.example", "<none>");
  }

  @Test
  void endpointSlice_portsAndEndpointsThreeThenMore() {
    var printer = builtIn("discovery.k8s.io", "endpointslices");
    String slice =
        """
        {"metadata": {"name": "s"}, "addressType": "IPv4",
         "ports": [{"port": 8080}, {"name": "metrics"}, {}],
         "endpoints": [{"addresses": ["10.1.0.1", "10.1.0.2"]}, {"addresses": ["10.1.0.3"]},
                       {"addresses": ["10.1.0.4"]}, {"addresses": ["10.1.0.5"]}]}
        """;

    assertThat(cells(printer, slice).subList(1, 4))
        .containsExactly("IPv4", "8080,metrics,*", "10.1.0.1,10.1.0.2,10.1.0.3 + 2 more...");
    assertThat(cells(printer, "{\"metadata\":{\"name\":\"e\"},\"addressType\":\"IPv6\"}"))
        .containsExactly("e", "IPv6", "<unset>", "<unset>", "<unknown>");
  }

  @Test
  void eventsNodesNamespacesLeasesConfigMaps_theirCells() {
    String event =
        """
        {"metadata": {"name": "web.1"}, "type": "Warning", "reason": "Refused",
         "involvedObject": {"kind": "Service", "name": "web", "fieldPath": "spec"},
         "source": {"component": "multinet", "host": "node-1"}, "message": " no range \\n",
         "firstTimestamp": "2026-12-07T10:00:00Z", "lastTimestamp": "2026-12-07T11:59:30Z",
         "count": 4}
        """;
    String newEvent =
        """
        {"metadata": {"name": "web.2"}, "type": "Normal", "reason": "Synced",
         "regarding": {"kind": "Pod", "name": "p"}, "note": "ok",
         "eventTime": "2026-12-07T11:59:00.000000Z", "reportingController": "ctl"}
        """;
    String node =
        """
        {"metadata": {"name": "node-1", "labels": {"node-role.kubernetes.io/worker": "",
                                                   "kubernetes.io/role": "edge"}},
         "spec": {"unschedulable": true},
         "status": {"conditions": [{"type": "Ready", "status": "False"}],
                    "addresses": [{"type": "InternalIP", "address": "192.0.2.1"}],
                    "nodeInfo": {"kubeletVersion": "v1.35.0"}}}
        """;

    assertThat(cells(builtIn("", "events"), event))
        .containsExactly(
            "30s",
            "Warning",
            "Refused",
            "service/web",
            "spec",
            "multinet, node-1",
            "no range",
            "120m",
            "4",
            "web.1");
    assertThat(cells(builtIn("events.k8s.io", "events"), newEvent))
        .containsExactly("60s", "Normal", "Synced", "pod/p", "", "ctl", "ok", "60s", "1", "web.2");
    assertThat(cells(builtIn("", "nodes"), node))
        .containsExactly(
            "node-1",
            "NotReady,SchedulingDisabled",
            "edge,worker",
            "<unknown>",
            "v1.35.0",
            "192.0.2.1",
            "<none>",
            "<unknown>",
            "<unknown>",
            "<unknown>");
    assertThat(cells(builtIn("", "namespaces"), "{\"metadata\":{\"name\":\"demo\"}}"))
        .containsExactly("demo", "Active", "<unknown>");
    assertThat(
            cells(
                builtIn("coordination.k8s.io", "leases"),
                "{\"metadata\":{\"name\":\"l\"},\"spec\":{\"holderIdentity\":\"node-a\"}}"))
        .containsExactly("l", "node-a", "<unknown>");
    assertThat(
            cells(
                builtIn("", "configmaps"),
                "{\"metadata\":{\"name\":\"c\"},\"data\":{\"a\":\"1\"},\"binaryData\":{\"b\":\"\"}}"))
        .containsExactly("c", "2", "<unknown>");
  }

  @Test
  void humanDuration_asKubernetesPrintsAges() {
    assertThat(Printers.humanDuration(Duration.ofSeconds(-5))).isEqualTo("<invalid>");
    assertThat(Printers.humanDuration(Duration.ofMillis(-500))).isEqualTo("0s");
    assertThat(Printers.humanDuration(Duration.ofSeconds(119))).isEqualTo("119s");
    assertThat(Printers.humanDuration(Duration.ofSeconds(312))).isEqualTo("5m12s");
    assertThat(Printers.humanDuration(Duration.ofMinutes(37))).isEqualTo("37m");
    assertThat(Printers.humanDuration(Duration.ofMinutes(6 * 60 + 4))).isEqualTo("6h4m");
    assertThat(Printers.humanDuration(Duration.ofHours(10))).isEqualTo("10h");
    assertThat(Printers.humanDuration(Duration.ofHours(3 * 24 + 5))).isEqualTo("3d5h");
    assertThat(Printers.humanDuration(Duration.ofDays(12))).isEqualTo("12d");
    assertThat(Printers.humanDuration(Duration.ofDays(365 * 2 + 30))).isEqualTo("2y30d");
    assertThat(Printers.humanDuration(Duration.ofDays(365 * 9))).isEqualTo("9y");
  }

  private static JsonNode networkCrd() throws Exception {
    Path crd =
        Path.of("..", "charts", "multinet-proxy", "crds", "networks.multinet.io.yaml")
            .toAbsolutePath()
            .normalize();
    var parsed =
        io.fabric8.kubernetes.client.utils.Serialization.unmarshal(
            Files.readString(crd), io.fabric8.kubernetes.api.model.GenericKubernetesResource.class);
    return json(io.fabric8.kubernetes.client.utils.Serialization.asJson(parsed));
  }

  @Test
  void crdPrinter_networkColumnsByJsonPath() throws Exception {
    var printer =
        Tables.crdPrinter(
            "networks.multinet.io", networkCrd().path("spec").path("versions").get(0));
    String ready =
        """
        {"metadata": {"name": "blue"}, "spec": {"id": 56, "serviceCIDRs": ["10.96.0.0/16"]},
         "status": {"conditions": [{"type": "Accepted", "status": "False"},
                                   {"type": "Ready", "status": "True"}]}}
        """;

    assertThat(columnNames(printer)).containsExactly("Name", "ID", "Service CIDRs", "DNS", "Ready");
    assertThat(printer.columns().get(1).toString())
        .isEqualTo(
            "{\"name\":\"ID\",\"type\":\"integer\",\"format\":\"\",\"description\":\"Custom"
                + " resource definition column (in JSONPath format): .spec.id\",\"priority\":0}");
    assertThat(cells(printer, ready))
        .containsExactly("blue", "56", "[\"10.96.0.0/16\"]", null, "True");
    assertThat(cells(printer, "{\"metadata\":{\"name\":\"red\"},\"spec\":{\"id\":57}}"))
        .containsExactly("red", "57", null, null, null);
  }

  @Test
  void crdPrinter_withoutColumns_nameAndAge() {
    var printer = Tables.crdPrinter("x", json("{\"name\":\"v1\"}"));

    assertThat(columnNames(printer)).containsExactly("Name", "Age");
    assertThat(printer.columns().get(1).path("type").asString()).isEqualTo("date");
    assertThat(
            cells(
                printer,
                "{\"metadata\":{\"name\":\"a\",\"creationTimestamp\":\"2026-12-07T11:00:00Z\"}}"))
        .containsExactly("a", "60m");
  }

  @Test
  void crdPrinter_unparseablePath_endsTheColumns() {
    var printer =
        Tables.crdPrinter(
            "x",
            json(
                """
                {"additionalPrinterColumns": [{"name": "A", "type": "string", "jsonPath": ".a"},
                  {"name": "B", "type": "string", "jsonPath": ".b[1:2]"},
                  {"name": "C", "type": "string", "jsonPath": ".c"}]}
                """));

    assertThat(columnNames(printer)).containsExactly("Name", "A");
  }

  @Test
  void cell_valuesByColumnType() {
    assertThat(Tables.cell("string", json("true"), NOW).asString()).isEqualTo("true");
    assertThat(Tables.cell("string", json("1.5"), NOW).asString()).isEqualTo("1.5");
    assertThat(Tables.cell("string", json("1234567.5"), NOW).asString()).isEqualTo("1.2345675e+06");
    assertThat(Tables.cell("string", json("{\"b\":\"<\",\"a\":[1,2.5]}"), NOW).asString())
        .isEqualTo("{\"a\":[1,2.5],\"b\":\"\\u003c\"}");
    assertThat(Tables.cell("integer", json("7.9"), NOW).asLong()).isEqualTo(7);
    assertThat(Tables.cell("integer", json("\"7\""), NOW).isNull()).isTrue();
    assertThat(Tables.cell("number", json("7"), NOW).asDouble()).isEqualTo(7.0);
    assertThat(Tables.cell("boolean", json("false"), NOW).asBoolean()).isFalse();
    assertThat(Tables.cell("date", json("\"2026-12-07T11:59:00Z\""), NOW).asString())
        .isEqualTo("60s");
    assertThat(Tables.cell("date", json("\"yesterday\""), NOW).asString()).isEqualTo("<invalid>");
  }

  @Test
  void jsonPath_fieldsIndexesWildcardsFilters() {
    JsonNode doc =
        json(
            """
            {"a": {"b.c": 1, "list": [{"t": "x", "v": 1}, {"t": "y", "v": 2}, {"t": "y", "v": 3}]}}
            """);

    assertThat(JsonPath.parse(".a['b.c']").find(doc)).hasToString("[1]");
    assertThat(JsonPath.parse("{.a.list[-1].v}").find(doc)).hasToString("[3]");
    assertThat(JsonPath.parse(".a.list[*].t").find(doc)).hasToString("[\"x\", \"y\", \"y\"]");
    assertThat(JsonPath.parse(".a.list[?(@.t==\"y\")].v").find(doc)).hasToString("[2, 3]");
    assertThat(JsonPath.parse(".a.list[?(@.v >= 2)].t").find(doc)).hasToString("[\"y\", \"y\"]");
    assertThat(JsonPath.parse(".a.list[?(@.t != 'y')].v").find(doc)).hasToString("[1]");
    assertThat(JsonPath.parse(".a.missing.deeper").find(doc)).isEmpty();
    assertThatThrownBy(() -> JsonPath.parse(".a..b")).hasMessageContaining("recursive descent");
  }

  @Test
  void table_listWithMetadataObjectOrNothing() {
    String list =
        """
        {"kind": "ConfigMapList", "apiVersion": "v1", "metadata": {"resourceVersion": "42"},
         "items": [{"kind": "ConfigMap", "apiVersion": "v1",
                    "metadata": {"name": "c", "namespace": "demo", "labels": {"a": "b"}},
                    "data": {"k": "v"}}]}
        """;
    var printer = builtIn("", "configmaps");

    var metadata = Tables.table(json(list), printer, METADATA, true, NOW);
    var object = Tables.table(json(list), printer, new Tables.Request("v1", "Object"), true, NOW);
    var none = Tables.table(json(list), printer, new Tables.Request("v1beta1", "None"), false, NOW);

    assertThat(metadata.path("kind").asString()).isEqualTo("Table");
    assertThat(metadata.path("apiVersion").asString()).isEqualTo("meta.k8s.io/v1");
    assertThat(metadata.path("metadata").toString()).isEqualTo("{\"resourceVersion\":\"42\"}");
    assertThat(metadata.path("columnDefinitions").size()).isEqualTo(3);
    assertThat(metadata.path("rows").get(0).toString())
        .isEqualTo(
            "{\"cells\":[\"c\",1,\"<unknown>\"],\"object\":{\"kind\":\"PartialObjectMetadata\","
                + "\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":{\"name\":\"c\",\"namespace\":"
                + "\"demo\",\"labels\":{\"a\":\"b\"}}}}");
    assertThat(object.path("rows").get(0).path("object").path("data").toString())
        .isEqualTo("{\"k\":\"v\"}");
    assertThat(none.path("apiVersion").asString()).isEqualTo("meta.k8s.io/v1beta1");
    assertThat(none.path("columnDefinitions").isNull()).isTrue();
    assertThat(none.path("rows").get(0).path("object").isNull()).isTrue();
  }

  @Test
  void watchEvents_firstCarriesColumnsLaterNoneErrorsUnchanged() {
    var events = Tables.watchEvents(METADATA, builtIn("", "configmaps"));
    String added =
        "{\"type\":\"ADDED\",\"object\":{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\"}}}";
    String error =
        "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\"}}";

    JsonNode first = json(events.apply(added));
    JsonNode second = json(events.apply(added.replace("ADDED", "MODIFIED")));

    assertThat(first.path("type").asString()).isEqualTo("ADDED");
    assertThat(first.path("object").path("kind").asString()).isEqualTo("Table");
    assertThat(first.path("object").path("columnDefinitions").size()).isEqualTo(3);
    assertThat(second.path("object").path("columnDefinitions").isNull()).isTrue();
    assertThat(second.path("object").path("rows").get(0).path("cells").get(0).asString())
        .isEqualTo("a");
    assertThat(events.apply(error)).isEqualTo(error);
  }

  /** The plain-HTTP address kubectl is given (the kubeconfig's server). */
  private static URI front(EmbeddedApiServer api) {
    var m = Pattern.compile("server: (http://\\S+)").matcher(api.kubeconfig());
    assertThat(m.find()).isTrue();
    return URI.create(m.group(1));
  }

  private static HttpResponse<String> get(
      HttpClient http, EmbeddedApiServer api, String path, String accept) throws Exception {
    return http.send(
        HttpRequest.newBuilder(front(api).resolve(path)).header("Accept", accept).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void embeddedApiServer_answersTablesListsAndObjectsAsAsked() throws Exception {
    try (var api = new EmbeddedApiServer();
        var client = api.newClient();
        var http = HttpClient.newHttpClient()) {
      client
          .services()
          .inNamespace("demo")
          .resource(
              new ServiceBuilder()
                  .withNewMetadata()
                  .withName("web")
                  .endMetadata()
                  .withNewSpec()
                  .withClusterIP("10.96.0.10")
                  .addNewPort()
                  .withPort(80)
                  .endPort()
                  .endSpec()
                  .build())
          .create();

      var list = get(http, api, "/api/v1/namespaces/demo/services", KUBECTL_ACCEPT);
      var one =
          get(
              http,
              api,
              "/api/v1/namespaces/demo/services/web?includeObject=Object",
              KUBECTL_ACCEPT);
      var plain = get(http, api, "/api/v1/namespaces/demo/services", "application/json");
      var refused =
          get(
              http,
              api,
              "/api/v1/namespaces/demo/services?includeObject=Everything",
              KUBECTL_ACCEPT);
      var missing = get(http, api, "/api/v1/namespaces/demo/services/nothing", KUBECTL_ACCEPT);

      assertThat(list.statusCode()).isEqualTo(200);
      assertThat(list.headers().firstValue("Content-Type"))
          .hasValue("application/json;as=Table;v=v1;g=meta.k8s.io");
      JsonNode table = json(list.body());
      assertThat(table.path("kind").asString()).isEqualTo("Table");
      assertThat(table.path("metadata").path("resourceVersion").asString()).isNotEmpty();
      assertThat(table.path("rows").get(0).path("cells").toString())
          .startsWith("[\"web\",\"ClusterIP\",\"10.96.0.10\",\"<none>\",\"80/TCP\",");
      assertThat(table.path("rows").get(0).path("object").path("kind").asString())
          .isEqualTo("PartialObjectMetadata");
      JsonNode object = json(one.body()).path("rows").get(0).path("object");
      assertThat(object.path("kind").asString()).isEqualTo("Service");
      assertThat(object.path("spec").path("clusterIP").asString()).isEqualTo("10.96.0.10");
      assertThat(json(plain.body()).path("items").get(0).path("kind").asString())
          .isEqualTo("Service");
      assertThat(refused.statusCode()).isEqualTo(400);
      assertThat(json(refused.body()).path("message").asString())
          .startsWith("Unable to convert to Table as requested: includeObject: Unsupported value");
      assertThat(missing.statusCode()).isEqualTo(404);
    }
  }

  @Test
  void embeddedApiServer_watchOverHttp_sendsTableEvents() throws Exception {
    try (var api = new EmbeddedApiServer();
        var client = api.newClient();
        var http = HttpClient.newHttpClient()) {
      var services = client.services().inNamespace("demo");
      for (String name : List.of("a", "b")) {
        services
            .resource(
                new ServiceBuilder()
                    .withNewMetadata()
                    .withName(name)
                    .endMetadata()
                    .withNewSpec()
                    .addNewPort()
                    .withPort(80)
                    .endPort()
                    .endSpec()
                    .build())
            .create();
      }
      var request =
          HttpRequest.newBuilder(
                  front(api)
                      .resolve("/api/v1/namespaces/demo/services?watch=true&timeoutSeconds=5"))
              .header("Accept", KUBECTL_ACCEPT)
              .build();
      HttpResponse<InputStream> response =
          http.send(request, HttpResponse.BodyHandlers.ofInputStream());
      try (var lines =
          new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
        JsonNode first = json(lines.readLine());
        JsonNode second = json(lines.readLine());

        assertThat(first.path("type").asString()).isEqualTo("ADDED");
        assertThat(first.path("object").path("kind").asString()).isEqualTo("Table");
        assertThat(first.path("object").path("columnDefinitions").size()).isEqualTo(7);
        assertThat(second.path("object").path("columnDefinitions").isNull()).isTrue();
        assertThat(second.path("object").path("rows").get(0).path("cells").get(1).asString())
            .isEqualTo("ClusterIP");
      }
    }
  }
}
