# The multinet-proxy image: node proxy, controller and dataplane agent in one runnable jar.
# Build: docker build -t multinet-proxy:dev .   (needs a Docker engine; CI here has none and
# checks the chart with helm lint/template instead)
FROM maven:3.9-eclipse-temurin-25 AS build
WORKDIR /src
COPY . .
RUN ./mvnw -B -q -DskipTests -Dspotless.check.skip=true -Daot.skip=true package -pl proxy-app -am

FROM eclipse-temurin:25-jre
# libnftables for the in-process kernel dataplane; iproute2 for policy routing rules.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nftables libnftables1 iproute2 conntrack \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/proxy-app/target/multinet-proxy.jar /opt/multinet-proxy/multinet-proxy.jar
# The JDK AOT cache, trained here: it matches only the jar at this path and this JVM and GC. The
# entrypoint's -Dmultinet.aotCache makes the program say in one line when it was not used.
RUN java -XX:AOTCacheOutput=/opt/multinet-proxy/multinet-proxy.aot -XX:+UseSerialGC \
      --enable-native-access=ALL-UNNAMED -Xlog:aot=error -Xlog:cds=error \
      -jar /opt/multinet-proxy/multinet-proxy.jar aot-training
# Half the container's memory for the heap, not three quarters: at 10k Services x 10 endpoints the
# node proxy keeps about 110 MiB live, but the serial collector grows the heap to its maximum and
# keeps it, and the process needs about 140 MiB besides (metaspace, code, threads, libnftables).
# With 75% of the chart's 512 MiB limit its RSS reached 528 MiB (docs/benchmarks.md). Two malloc
# arenas: glibc would otherwise give each of the many gRPC and Netty threads its own.
ENV MALLOC_ARENA_MAX=2
ENTRYPOINT ["java", "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-XX:MaxRAMPercentage=50", "-XX:AOTCache=/opt/multinet-proxy/multinet-proxy.aot", "-Xlog:aot=off", "-Xlog:cds=off", "-Dmultinet.aotCache=/opt/multinet-proxy/multinet-proxy.aot", "-jar", "/opt/multinet-proxy/multinet-proxy.jar"]
CMD ["run"]
