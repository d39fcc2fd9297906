# The multinet-proxy image: node proxy, controller and dataplane agent in one runnable jar.
# Build: docker build -t multinet-proxy:dev .   (needs a Docker engine; CI here has none and
# checks the chart with helm lint/template instead)
FROM maven:3.9-eclipse-temurin-25 AS build
WORKDIR /src
COPY . .
RUN ./mvnw -B -q -DskipTests -Dspotless.check.skip=true package -pl proxy-app -am

FROM eclipse-temurin:25-jre
# libnftables for the in-process kernel dataplane; iproute2 for policy routing rules.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nftables libnftables1 iproute2 conntrack \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/proxy-app/target/multinet-proxy.jar /opt/multinet-proxy/multinet-proxy.jar
ENTRYPOINT ["java", "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-XX:MaxRAMPercentage=75", "-jar", "/opt/multinet-proxy/multinet-proxy.jar"]
CMD ["run"]
