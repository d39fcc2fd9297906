package io.multinet.benchmarks.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.multinet.benchmarks.scale.ScaleArgs.Mode;
import io.multinet.benchmarks.scale.ScaleArgs.Size;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScaleArgsTest {

  @Test
  void parse_noArguments_isPinnedAt1kWithTheOldDefaults() {
    ScaleArgs a = ScaleArgs.parse();

    assertThat(a.mode()).isEqualTo(Mode.PINNED);
    assertThat(a.size()).isEqualTo(Size.S1K);
    assertThat(a.rates()).containsExactly(10, 100, 1000);
    assertThat(a.seconds()).isEqualTo(10);
    assertThat(a.out()).isEqualTo(Path.of("benchmarks/target/scale"));
    assertThat(a.histogram()).isFalse();
    assertThat(a.aot()).isFalse();
  }

  @Test
  void parse_everyOption_isRead() {
    ScaleArgs a =
        ScaleArgs.parse(
            "--mode",
            "in-process",
            "--size",
            "10k-3net",
            "--churn",
            "100,1000",
            "--seconds",
            "5",
            "--out",
            "/tmp/x",
            "--histogram",
            "--aot");

    assertThat(a)
        .isEqualTo(
            new ScaleArgs(
                Mode.IN_PROCESS,
                Size.S10K_3NET,
                List.of(100, 1000),
                5,
                Path.of("/tmp/x"),
                true,
                true));
  }

  @Test
  void parse_100kSizes_are100kServices_the3netOneOver1000Namespaces() {
    assertThat(ScaleArgs.parse("--size", "100k").size().services).isEqualTo(100_000);
    assertThat(ScaleArgs.parse("--size", "100k").size().threeNetworks).isFalse();
    Size three = ScaleArgs.parse("--size", "100k-3net").size();
    assertThat(three.services).isEqualTo(100_000);
    assertThat(three.threeNetworks).isTrue();
    assertThat(three.namespaces()).isEqualTo(1_000);
    assertThat(Size.S10K_3NET.namespaces()).isEqualTo(ThreeNetworks.NAMESPACES);
  }

  @Test
  void parse_unknownMode_isRefusedInOneLine() {
    assertThatThrownBy(() -> ScaleArgs.parse("--mode", "fast"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--mode: fast (expected: pinned, in-process)");
  }

  @Test
  void parse_unknownSize_isRefusedInOneLine() {
    assertThatThrownBy(() -> ScaleArgs.parse("--size", "1m"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--size: 1m (expected: 1k, 10k, 100k, 1k-3net, 10k-3net, 100k-3net)");
  }

  @Test
  void parse_badChurn_isRefusedInOneLine() {
    for (String bad : List.of("", "10,,100", "ten", "0", "-5", "100001")) {
      assertThatThrownBy(() -> ScaleArgs.parse("--churn", bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "--churn: "
                  + bad
                  + " (expected: changes per second, comma-separated, each 1-100000)");
    }
  }

  @Test
  void parse_badSeconds_isRefusedInOneLine() {
    assertThatThrownBy(() -> ScaleArgs.parse("--seconds", "0"))
        .hasMessage("--seconds: 0 (expected: 1-3600)");
  }

  @Test
  void parse_optionWithoutValue_orUnknownOption_isRefusedInOneLine() {
    assertThatThrownBy(() -> ScaleArgs.parse("--churn"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("--churn: missing value (expected: --mode pinned|in-process,");
    assertThatThrownBy(() -> ScaleArgs.parse("--fast"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("argument: --fast (expected: --mode pinned|in-process,")
        .hasMessageNotContaining("\n");
  }
}
