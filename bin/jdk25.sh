# Sourced by bin/multinet-proxy and .ci/run: sets JAVA_HOME to a JDK 25 or explains what is missing.
find_jdk25() {
  local candidates=() home
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  candidates+=(/usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-jdk* /usr/lib/jvm/java-25-openjdk* /usr/lib/jvm/jdk-25*)
  for home in "${candidates[@]}"; do
    [ -x "$home/bin/java" ] || continue
    if "$home/bin/java" -version 2>&1 | grep -qE 'version "25(\.|")'; then
      echo "$home"
      return 0
    fi
  done
  return 1
}

if ! JAVA_HOME=$(find_jdk25); then
  echo "multinet-proxy: no JDK 25 found (looked at \$JAVA_HOME and /usr/lib/jvm/*25*)." >&2
  echo "multinet-proxy: install Temurin 25 (/usr/lib/jvm/temurin-25-jdk-amd64) or set JAVA_HOME to a JDK 25." >&2
  exit 1
fi
export JAVA_HOME
