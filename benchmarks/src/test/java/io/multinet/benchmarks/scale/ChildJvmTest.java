package io.multinet.benchmarks.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChildJvmTest {

  @Test
  void image_ofTwoStages_readsTheLastStageOnly() {
    String dockerfile =
        """
        FROM builder AS build
        ENV STAGE=build
        ENTRYPOINT ["java", "-Xmx1g", "-jar", "build.jar"]
        FROM runtime
        ENV A=1 B=two
        ENTRYPOINT ["java", "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-jar", "/x.jar"]
        CMD ["run"]
        """;

    ChildJvm.Image image = ChildJvm.image(dockerfile);

    assertThat(image.flags())
        .containsExactly("--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC");
    assertThat(image.environment()).isEqualTo(Map.of("A", "1", "B", "two"));
  }

  @Test
  void image_withoutJavaEntrypoint_isRefused() {
    assertThatThrownBy(() -> ChildJvm.image("FROM x\nENTRYPOINT [\"sh\", \"-c\", \"true\"]\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected");
    assertThatThrownBy(() -> ChildJvm.image("FROM x\nCMD [\"run\"]\n"))
        .hasMessageContaining("no ENTRYPOINT");
  }

  @Test
  void image_ofTheRepositoryDockerfile_runsTheSerialCollectorWithHalfTheMemory() throws Exception {
    // Surefire runs in benchmarks/; the image is built from the repository root.
    ChildJvm.Image image =
        ChildJvm.image(Files.readString(Path.of("../Dockerfile"), StandardCharsets.UTF_8));

    // The harness measures RSS against the chart's limit with these flags (docs/benchmarks.md).
    assertThat(image.flags()).contains("-XX:+UseSerialGC", "-XX:MaxRAMPercentage=50");
    assertThat(image.environment()).containsEntry("MALLOC_ARENA_MAX", "2");
  }

  @Test
  void sum_ofLabelledAndPlainSamples_addsThemAndSkipsOtherMetrics() {
    String text =
        String.join(
            "\n",
            List.of(
                "# TYPE multinet_network_service_ports gauge",
                "multinet_network_service_ports{network=\"default\"} 7.0",
                "multinet_network_service_ports{network=\"blue\"} 3.0",
                "multinet_network_service_ports_total 100",
                "multinet_network_backends{network=\"blue\"} 30.0"));

    assertThat(ChildJvm.sum(text, "multinet_network_service_ports")).isEqualTo(10.0);
  }
}
