#!/usr/bin/env bash
# Local test stack for monasca-persister: a single-node Kafka (KRaft) and three
# InfluxDB 1.x instances, all on 127.0.0.1: Debian's InfluxDB (1.6.7) without
# auth and with auth, and InfluxDB 1.8.10 (built with Go) without auth.
# Kafka has three client listeners: PLAINTEXT, SSL (a certificate of a private
# CA made here) and SASL_PLAINTEXT with SCRAM-SHA-512 (a user made here).
#
# Usage: bash test/helpers/stack.sh up|down [--purge]|status|env
#
#   up      start whatever is not running yet (idempotent), then write
#           .stack/stack.json and print where everything listens
#   down    stop all four (SIGTERM, then SIGKILL after 20 s); caches and data
#           are kept.  `down --purge` also deletes data dirs and logs.
#   status  say which services are running (exit 0 only if all are)
#   env     print .stack/stack.json (exit 1 if the stack is not up)
#
# Ports (override with environment variables):
#   KAFKA_PORT=19092  KAFKA_CONTROLLER_PORT=19093
#   KAFKA_SSL_PORT=19094  KAFKA_SASL_PORT=19095
#   INFLUX_PORT=18086 INFLUX_RPC_PORT=18088
#   INFLUX_AUTH_PORT=18087 INFLUX_AUTH_RPC_PORT=18089
#   INFLUX18_PORT=18090 INFLUX18_RPC_PORT=18091
# STACK_START_TIMEOUT=120 bounds each readiness wait (seconds);
# STACK_BUILD_TIMEOUT=900 bounds the one-off build of InfluxDB 1.8.10.
#
# Everything (jar cache, the built influxd 1.8.10, data, logs, pid files) lives
# under <repo>/.stack/.  The CA and the broker's keystores are made once (with
# keytool) in .stack/tls/ and kept by `down --purge`; delete that directory to
# get new ones.
# Needs: bash, java >= 17 (with keytool), mvn (first run only, to fetch the
# Kafka jars), curl, influxd (installed from Debian's `influxdb` package when
# missing; root), and go >= 1.16 (first run only: `go install` builds influxd
# 1.8.10 from the Go module proxy in about a minute, using Go's usual module
# and build caches).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STACK_DIR="$ROOT/.stack"
CACHE_DIR="$STACK_DIR/cache"
RUN_DIR="$STACK_DIR/run"
STACK_JSON="$STACK_DIR/stack.json"

KAFKA_VERSION=4.4.0
# Kafka 4.4's poms pull slf4j-api 1.7.36, so the SLF4J 1.x binder
# (log4j-slf4j-impl) is the one that matches, as in Kafka's own distribution.
LOG4J_VERSION=2.25.3
KAFKA_HOME="$CACHE_DIR/kafka-$KAFKA_VERSION"
KAFKA_LIBS="$KAFKA_HOME/libs"
KAFKA_DIR="$STACK_DIR/kafka"
TLS_DIR="$STACK_DIR/tls"

KAFKA_PORT=${KAFKA_PORT:-19092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-19093}
KAFKA_SSL_PORT=${KAFKA_SSL_PORT:-19094}
KAFKA_SASL_PORT=${KAFKA_SASL_PORT:-19095}
INFLUX_PORT=${INFLUX_PORT:-18086}
INFLUX_RPC_PORT=${INFLUX_RPC_PORT:-18088}
INFLUX_AUTH_PORT=${INFLUX_AUTH_PORT:-18087}
INFLUX_AUTH_RPC_PORT=${INFLUX_AUTH_RPC_PORT:-18089}
INFLUX18_PORT=${INFLUX18_PORT:-18090}
INFLUX18_RPC_PORT=${INFLUX18_RPC_PORT:-18091}
INFLUX_ADMIN_USER=admin
INFLUX_ADMIN_PASSWORD=admin-secret
# The SCRAM user of the SASL listener.
KAFKA_SASL_MECHANISM=SCRAM-SHA-512
KAFKA_SASL_USER=persister
KAFKA_SASL_PASSWORD=persister-secret
# Password of the PKCS12 keystore and truststore in $TLS_DIR (and of its keys).
TLS_STORE_PASSWORD=stack-tls-secret

# The newer InfluxDB 1.x, built from its Go module (pure Go: CGO_ENABLED=0).
INFLUX18_VERSION=1.8.10
INFLUX18_MODULE=github.com/influxdata/influxdb
INFLUX18_HOME="$CACHE_DIR/influxdb-$INFLUX18_VERSION"
INFLUX18_BIN="$INFLUX18_HOME/influxd"

START_TIMEOUT=${STACK_START_TIMEOUT:-120}
BUILD_TIMEOUT=${STACK_BUILD_TIMEOUT:-900}
STOP_TIMEOUT=20

# ---------------------------------------------------------------- utilities

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }

# True if something accepts TCP connections on 127.0.0.1:$1.
port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# Fail unless 127.0.0.1:$1 is free; $2 names the env var that sets it.
require_free_port() {
  if port_open "$1"; then
    die "port $1 is already in use by something that is not this stack; set $2 to another port"
  fi
}

pid_file() { echo "$RUN_DIR/$1.pid"; }

# Prints the pid of our running instance of service $1 (matched by a marker
# string $2 in its command line), or fails.  Removes stale pid files.
our_pid() {
  local file pid cmdline
  file=$(pid_file "$1")
  [[ -f $file ]] || return 1
  pid=$(<"$file")
  if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
    cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
    if [[ $cmdline == *"$2"* ]]; then
      echo "$pid"
      return 0
    fi
  fi
  rm -f "$file"
  return 1
}

# start_daemon NAME LOGFILE CMD...: runs CMD detached (own session, stdin from
# /dev/null, output to LOGFILE) and records its pid.
start_daemon() {
  local name=$1 out=$2
  shift 2
  local file
  file=$(pid_file "$name")
  mkdir -p "$RUN_DIR"
  rm -f "$file"
  # The inner shell writes its own pid and then execs the daemon, so the pid
  # file holds the daemon's pid whatever setsid does.  fd 9 (the stack lock)
  # is closed so the daemon does not keep holding the lock.
  # shellcheck disable=SC2016
  nohup setsid bash -c 'echo $$ >"$0"; exec "$@"' "$file" "$@" \
    >>"$out" 2>&1 </dev/null 9>&- &
  local i
  for ((i = 0; i < 50; i++)); do
    [[ -s $file ]] && return 0
    sleep 0.1
  done
  die "$name did not start (see $out)"
}

# Sends SIGTERM to each pid, waits up to STOP_TIMEOUT s in total, then SIGKILLs
# whatever is left.
stop_pids() {
  local pid deadline=$((SECONDS + STOP_TIMEOUT)) alive
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  while ((SECONDS < deadline)); do
    alive=0
    for pid in "$@"; do
      if kill -0 "$pid" 2>/dev/null; then alive=1; fi
    done
    ((alive)) || return 0
    sleep 0.2
  done
  for pid in "$@"; do
    if kill -0 "$pid" 2>/dev/null; then
      log "pid $pid did not stop within ${STOP_TIMEOUT}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
}

# True if a process named $1 (exact comm) is running.  Uses /proc, not pgrep,
# so it also works where procps is not installed.
proc_running() {
  local comm
  for comm in /proc/[0-9]*/comm; do
    if [[ $(cat "$comm" 2>/dev/null) == "$1" ]]; then return 0; fi
  done
  return 1
}

apt_busy() { proc_running apt-get || proc_running apt || proc_running dpkg; }

# Installs Debian packages (as root), waiting for any apt/dpkg run already in
# progress instead of racing it.
apt_install() {
  ((EUID == 0)) || die "need Debian package(s) '$*' but not running as root; install them first (apt-get install $*)"
  local waited=0
  while apt_busy; do
    ((waited % 30 == 0)) && log "waiting for another apt/dpkg run to finish..."
    ((waited >= 900)) && die "apt/dpkg still busy after ${waited}s"
    sleep 2
    waited=$((waited + 2))
  done
  local pkg missing=0
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing=1
  done
  ((missing)) || return 0
  local apt_opts=(-o DPkg::Lock::Timeout=600) apt_log="$STACK_DIR/apt.log"
  mkdir -p "$STACK_DIR"
  for pkg in "$@"; do
    if [[ -z $(apt-cache policy "$pkg" 2>/dev/null | sed -n 's/^ *Candidate: *//p' | grep -v '(none)') ]]; then
      log "apt-get update (no candidate for $pkg yet)..."
      DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" update >>"$apt_log" 2>&1 \
        || { tail -n 20 "$apt_log" >&2; die "apt-get update failed (log: $apt_log)"; }
      break
    fi
  done
  log "installing Debian package(s): $* ..."
  DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y "$@" >>"$apt_log" 2>&1 \
    || { tail -n 20 "$apt_log" >&2; die "apt-get install $* failed (log: $apt_log)"; }
}

check_java() {
  command -v java >/dev/null || die "java not found; Kafka $KAFKA_VERSION needs Java 17 or newer"
  local v
  v=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  [[ ${v%%.*} =~ ^[0-9]+$ ]] && ((${v%%.*} >= 17)) \
    || die "Kafka $KAFKA_VERSION needs Java 17 or newer; found java.specification.version=$v"
}

# ---------------------------------------------------------------- Kafka

# Kafka listeners, one "NAME PORT ROLE PROTOCOL" per line.  ROLE is `client`
# (advertised to clients) or `controller`; PROTOCOL is the security protocol
# (kafka_listener_properties writes what SSL and SASL_PLAINTEXT need).  Add a
# line here to add a listener.  PLAINTEXT stays first: it is the inter-broker
# listener and the one readiness checks and admin tools use.
kafka_listeners() {
  echo "PLAINTEXT $KAFKA_PORT client PLAINTEXT"
  echo "CONTROLLER $KAFKA_CONTROLLER_PORT controller PLAINTEXT"
  echo "SSL $KAFKA_SSL_PORT client SSL"
  echo "SASL $KAFKA_SASL_PORT client SASL_PLAINTEXT"
}

# The listeners= value of server.properties.
kafka_listeners_value() {
  local name port role protocol out=()
  while IFS=" " read -r name port role protocol; do
    out+=("$name://127.0.0.1:$port")
  done < <(kafka_listeners)
  local IFS=,
  echo "${out[*]}"
}

# Per-listener settings (listener.name.<lower-case name>.*) for listener $1
# with security protocol $2.
kafka_listener_properties() {
  local prefix
  prefix="listener.name.$(tr '[:upper:]' '[:lower:]' <<<"$1")"
  case "$2" in
    SSL)
      cat <<EOF
$prefix.ssl.keystore.type=PKCS12
$prefix.ssl.keystore.location=$TLS_DIR/broker.keystore.p12
$prefix.ssl.keystore.password=$TLS_STORE_PASSWORD
$prefix.ssl.key.password=$TLS_STORE_PASSWORD
$prefix.ssl.truststore.type=PKCS12
$prefix.ssl.truststore.location=$TLS_DIR/truststore.p12
$prefix.ssl.truststore.password=$TLS_STORE_PASSWORD
$prefix.ssl.client.auth=none
EOF
      ;;
    SASL_PLAINTEXT)
      # The broker side of SCRAM needs the login module but no credentials of
      # its own (this listener is not the inter-broker one); users and their
      # salted passwords live in the cluster metadata (kafka_format,
      # kafka_ensure_scram_user).
      local mech
      mech=$(tr '[:upper:]' '[:lower:]' <<<"$KAFKA_SASL_MECHANISM")
      cat <<EOF
$prefix.sasl.enabled.mechanisms=$KAFKA_SASL_MECHANISM
$prefix.$mech.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
EOF
      ;;
  esac
}

# Makes, once, a private CA (PEM for clients: ca.pem) and the broker's PKCS12
# keystore with a certificate for CN=localhost, SAN DNS:localhost and
# IP:127.0.0.1 that the CA signs, plus a PKCS12 truststore holding the CA (for
# Java clients).  EC P-256 keys, valid 10 years.  Made again from scratch when
# any of the files is missing.
kafka_tls() {
  if [[ -f $TLS_DIR/.complete && -s $TLS_DIR/ca.pem && -s $TLS_DIR/broker.keystore.p12 \
        && -s $TLS_DIR/truststore.p12 ]]; then
    return 0
  fi
  command -v keytool >/dev/null || die "keytool not found; it comes with the JDK/JRE that runs Kafka"
  log "making the CA and the broker's keystore in $TLS_DIR"
  local tmp="$TLS_DIR.tmp" pw=$TLS_STORE_PASSWORD
  rm -rf "$tmp"
  mkdir -p "$tmp"
  local kt=(keytool -J-Xmx64m -storetype PKCS12 -storepass "$pw" -noprompt)
  local ec=(-keyalg EC -groupname secp256r1 -sigalg SHA256withECDSA -validity 3650)
  # The CA (a self-signed certificate allowed to sign others), then the
  # broker's key and its certificate signed by the CA; the CA is a trusted
  # entry of the keystore only while the signed certificate is imported, so
  # that keytool builds the chain (broker, CA) under the broker's key.
  {
    "${kt[@]}" -genkeypair -keystore "$tmp/ca.p12" -alias ca "${ec[@]}" \
      -dname "CN=monasca-persister test CA" -ext bc:c=ca:true -ext ku:c=keyCertSign,cRLSign \
      && "${kt[@]}" -exportcert -rfc -keystore "$tmp/ca.p12" -alias ca -file "$tmp/ca.pem" \
      && "${kt[@]}" -genkeypair -keystore "$tmp/broker.keystore.p12" -alias broker "${ec[@]}" \
           -dname "CN=localhost" \
      && "${kt[@]}" -certreq -keystore "$tmp/broker.keystore.p12" -alias broker -file "$tmp/broker.csr" \
      && "${kt[@]}" -gencert -keystore "$tmp/ca.p12" -alias ca -rfc -validity 3650 \
           -sigalg SHA256withECDSA -infile "$tmp/broker.csr" -outfile "$tmp/broker.pem" \
           -ext bc:c=ca:false -ext ku:c=digitalSignature -ext eku=serverAuth \
           -ext san=dns:localhost,ip:127.0.0.1 \
      && "${kt[@]}" -importcert -keystore "$tmp/broker.keystore.p12" -alias ca -file "$tmp/ca.pem" \
      && "${kt[@]}" -importcert -keystore "$tmp/broker.keystore.p12" -alias broker -file "$tmp/broker.pem" \
      && "${kt[@]}" -delete -keystore "$tmp/broker.keystore.p12" -alias ca \
      && "${kt[@]}" -importcert -keystore "$tmp/truststore.p12" -alias ca -file "$tmp/ca.pem"
  } >"$tmp/keytool.log" 2>&1 || { cat "$tmp/keytool.log" >&2; die "making the TLS keystores failed"; }
  rm -f "$tmp/broker.csr"
  date -u +%FT%TZ >"$tmp/.complete"
  rm -rf "$TLS_DIR"
  mv "$tmp" "$TLS_DIR"
}

kafka_fetch() {
  if [[ -f $KAFKA_HOME/.complete ]]; then return 0; fi
  command -v mvn >/dev/null || die "mvn not found; it is needed once to fetch the Kafka $KAFKA_VERSION jars from Maven Central"
  log "fetching Kafka $KAFKA_VERSION and log4j $LOG4J_VERSION jars with Maven (first run only)..."
  local t0=$SECONDS
  mkdir -p "$KAFKA_HOME"
  cat >"$KAFKA_HOME/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.stack</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <!-- command line tools (TopicCommand, ...); Connect is not needed -->
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka-tools</artifactId>
      <version>$KAFKA_VERSION</version>
      <exclusions>
        <exclusion><groupId>org.apache.kafka</groupId><artifactId>connect-runtime</artifactId></exclusion>
      </exclusions>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-api</artifactId>
      <version>$LOG4J_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>$LOG4J_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>$LOG4J_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-1.2-api</artifactId>
      <version>$LOG4J_VERSION</version>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-dependency-plugin</artifactId>
        <version>3.8.1</version>
      </plugin>
    </plugins>
  </build>
</project>
EOF
  rm -rf "$KAFKA_LIBS.tmp"
  if ! mvn -q -B -f "$KAFKA_HOME/pom.xml" \
      -Dmaven.repo.local="$CACHE_DIR/m2" \
      dependency:copy-dependencies -DincludeScope=runtime \
      -DoutputDirectory="$KAFKA_LIBS.tmp" >"$KAFKA_HOME/mvn.log" 2>&1; then
    tail -n 30 "$KAFKA_HOME/mvn.log" >&2
    die "Maven could not fetch the Kafka jars (full log: $KAFKA_HOME/mvn.log)"
  fi
  [[ -f $KAFKA_LIBS.tmp/kafka_2.13-$KAFKA_VERSION.jar ]] || die "kafka_2.13-$KAFKA_VERSION.jar missing after Maven run"
  rm -rf "$KAFKA_LIBS"
  mv "$KAFKA_LIBS.tmp" "$KAFKA_LIBS"
  date -u +%FT%TZ >"$KAFKA_HOME/.complete"
  log "Kafka jars ready: $(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars in $((SECONDS - t0))s"
}

kafka_write_config() {
  mkdir -p "$KAFKA_DIR/data"
  cat >"$KAFKA_DIR/log4j2.properties" <<EOF
# generated by test/helpers/stack.sh
status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = $KAFKA_DIR/kafka.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.file.ref = FILE
logger.server.name = kafka.server
logger.server.level = INFO
EOF
  cat >"$KAFKA_DIR/tools-log4j2.properties" <<EOF
# generated by test/helpers/stack.sh (for command line tools)
status = warn
appender.err.type = Console
appender.err.name = STDERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.err.ref = STDERR
EOF

  local name port role protocol props advertised=() protocols=() controllers=() per_listener=""
  while IFS=" " read -r name port role protocol; do
    protocols+=("$name:$protocol")
    if [[ $role == controller ]]; then
      controllers+=("$name")
    else
      advertised+=("$name://127.0.0.1:$port")
    fi
    props=$(kafka_listener_properties "$name" "$protocol")
    [[ -z $props ]] || per_listener+=$props$'\n'
  done < <(kafka_listeners)
  local IFS=,
  cat >"$KAFKA_DIR/server.properties" <<EOF
# generated by test/helpers/stack.sh
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=$(kafka_listeners_value)
advertised.listeners=${advertised[*]}
listener.security.protocol.map=${protocols[*]}
controller.listener.names=${controllers[*]}
inter.broker.listener.name=PLAINTEXT
log.dirs=$KAFKA_DIR/data
num.partitions=3
auto.create.topics.enable=true
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
min.insync.replicas=1
default.replication.factor=1
group.initial.rebalance.delay.ms=0
${per_listener%$'\n'}
EOF
}

# Runs a Kafka command line tool class with the cached jars.
kafka_java_tool() {
  java -Xmx256m -cp "$KAFKA_LIBS/*" \
    -Dlog4j2.configurationFile="$KAFKA_DIR/tools-log4j2.properties" "$@"
}

# Records that the data dir's cluster metadata holds the SCRAM user with the
# current password (see kafka_ensure_scram_user).  Kafka loads only
# directories of a log dir, so a file there is left alone.
SCRAM_MARKER="$KAFKA_DIR/data/.stack-scram-user"
scram_marker_text() { echo "$KAFKA_SASL_MECHANISM $KAFKA_SASL_USER $KAFKA_SASL_PASSWORD"; }

kafka_format() {
  if [[ -f $KAFKA_DIR/data/meta.properties ]]; then return 0; fi
  local id
  if [[ -s $KAFKA_DIR/cluster.id ]]; then
    id=$(<"$KAFKA_DIR/cluster.id")
  else
    id=$(kafka_java_tool kafka.tools.StorageTool random-uuid)
    echo "$id" >"$KAFKA_DIR/cluster.id"
  fi
  log "formatting Kafka storage (cluster id $id, with $KAFKA_SASL_MECHANISM user '$KAFKA_SASL_USER')"
  kafka_java_tool kafka.tools.StorageTool format -t "$id" \
    -c "$KAFKA_DIR/server.properties" --ignore-formatted \
    --add-scram "$KAFKA_SASL_MECHANISM=[name=$KAFKA_SASL_USER,password=$KAFKA_SASL_PASSWORD]" \
    >"$KAFKA_DIR/format.log" 2>&1 \
    || { cat "$KAFKA_DIR/format.log" >&2; die "formatting Kafka storage failed"; }
  scram_marker_text >"$SCRAM_MARKER"
}

# A data dir formatted before the SASL listener existed (or with another
# password) lacks the SCRAM user: add it, or set its password, through the
# running broker, once.
kafka_ensure_scram_user() {
  [[ -f $SCRAM_MARKER && $(<"$SCRAM_MARKER") == "$(scram_marker_text)" ]] && return 0
  log "adding $KAFKA_SASL_MECHANISM user '$KAFKA_SASL_USER' to Kafka"
  local out
  out=$(timeout 60 java -Xmx256m -cp "$KAFKA_LIBS/*" \
      -Dlog4j2.configurationFile="$KAFKA_DIR/tools-log4j2.properties" \
      org.apache.kafka.tools.ConfigCommand \
      --bootstrap-server "127.0.0.1:$KAFKA_PORT" --alter --entity-type users \
      --entity-name "$KAFKA_SASL_USER" \
      --add-config "$KAFKA_SASL_MECHANISM=[password=$KAFKA_SASL_PASSWORD]" 2>&1) \
    || { printf '%s\n' "$out" >&2; die "could not add the $KAFKA_SASL_MECHANISM user '$KAFKA_SASL_USER' to Kafka"; }
  scram_marker_text >"$SCRAM_MARKER"
}

kafka_pid() { our_pid kafka "$KAFKA_DIR/server.properties"; }

# True if every Kafka listener port accepts connections.
kafka_ports_open() {
  local name port role protocol
  while IFS=" " read -r name port role protocol; do
    port_open "$port" || return 1
  done < <(kafka_listeners)
}

kafka_wait() {
  local pid=$1 deadline=$((SECONDS + START_TIMEOUT))
  log "waiting for Kafka on 127.0.0.1:$KAFKA_PORT..."
  while ((SECONDS < deadline)); do
    kill -0 "$pid" 2>/dev/null \
      || die "Kafka exited during startup; see $KAFKA_DIR/kafka.log and $KAFKA_DIR/kafka.out"
    # A metadata request through the real client (PLAINTEXT listener), once
    # every listener accepts connections.
    if kafka_ports_open \
       && timeout 30 java -Xmx128m -cp "$KAFKA_LIBS/*" \
            -Dlog4j2.configurationFile="$KAFKA_DIR/tools-log4j2.properties" \
            org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" \
            --list >/dev/null 2>&1; then
      return 0
    fi
    sleep 1
  done
  die "Kafka did not become ready within ${START_TIMEOUT}s; see $KAFKA_DIR/kafka.log"
}

kafka_up() {
  local pid
  if pid=$(kafka_pid); then
    # The config file was written when this process started.
    grep -qxF "listeners=$(kafka_listeners_value)" "$KAFKA_DIR/server.properties" \
      || die "our Kafka (pid $pid) runs with other ports or listeners (see $KAFKA_DIR/server.properties; a Kafka started by an older stack.sh has no SSL/SASL listeners); run 'down' first"
    [[ -s $TLS_DIR/ca.pem ]] \
      || die "our Kafka (pid $pid) runs but $TLS_DIR/ca.pem is gone; run 'down' first to make new certificates"
    if kafka_ports_open; then
      log "Kafka already running (pid $pid)"
    else
      kafka_wait "$pid"   # started by an earlier run, still coming up
    fi
    kafka_ensure_scram_user
    return 0
  fi
  kafka_require_free_ports
  kafka_fetch
  kafka_tls
  kafka_write_config
  kafka_format
  log "starting Kafka $KAFKA_VERSION"
  start_daemon kafka "$KAFKA_DIR/kafka.out" \
    java -Xmx512m -Xms256m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_DIR/server.properties"
  kafka_wait "$(<"$(pid_file kafka)")"
  kafka_ensure_scram_user
}

kafka_require_free_ports() {
  require_free_port "$KAFKA_PORT" KAFKA_PORT
  require_free_port "$KAFKA_CONTROLLER_PORT" KAFKA_CONTROLLER_PORT
  require_free_port "$KAFKA_SSL_PORT" KAFKA_SSL_PORT
  require_free_port "$KAFKA_SASL_PORT" KAFKA_SASL_PORT
}

# ---------------------------------------------------------------- InfluxDB

ensure_influxd() {
  command -v influxd >/dev/null && return 0
  # Another apt run may be installing it right now.
  if apt_busy; then apt_install influxdb; fi
  if ! command -v influxd >/dev/null; then
    apt_install influxdb
    # The package may start its own service on :8086/:8088.  This stack uses
    # other ports, so it does not depend on that service; stop it anyway so it
    # does not hold resources.
    { service influxdb stop || systemctl stop influxdb; } >/dev/null 2>&1 || true
  fi
  command -v influxd >/dev/null || die "influxd still not found after installing the influxdb package"
}

# Builds influxd $INFLUX18_VERSION into $INFLUX18_BIN unless already there.
influx18_build() {
  if [[ -f $INFLUX18_HOME/.complete && -x $INFLUX18_BIN ]]; then return 0; fi
  command -v go >/dev/null \
    || die "go not found; Go >= 1.16 is needed once to build InfluxDB $INFLUX18_VERSION (go install $INFLUX18_MODULE/cmd/influxd@v$INFLUX18_VERSION); install it (Debian: apt-get install golang-go)"
  local gover
  gover=$(go env GOVERSION 2>/dev/null || true)
  [[ $gover =~ ^go1\.([0-9]+) ]] && ((BASH_REMATCH[1] >= 16)) \
    || die "Go >= 1.16 is needed to build InfluxDB $INFLUX18_VERSION; found '${gover:-$(go version)}'"
  mkdir -p "$INFLUX18_HOME"
  local build_log="$INFLUX18_HOME/build.log" t0=$SECONDS
  log "building InfluxDB $INFLUX18_VERSION with $gover from the Go module proxy (first run only, about a minute; log: $build_log)..."
  rm -rf "$INFLUX18_HOME/bin.tmp"
  # -trimpath and -s -w: a smaller binary; -X: what `influxd version` and the
  # X-Influxdb-Version header say.
  local rc=0
  GOBIN="$INFLUX18_HOME/bin.tmp" CGO_ENABLED=0 timeout "$BUILD_TIMEOUT" \
    go install -trimpath \
    -ldflags "-s -w -X main.version=$INFLUX18_VERSION -X main.branch=${INFLUX18_VERSION%.*} -X main.commit=v$INFLUX18_VERSION" \
    "$INFLUX18_MODULE/cmd/influxd@v$INFLUX18_VERSION" >"$build_log" 2>&1 || rc=$?
  if ((rc)); then
    tail -n 30 "$build_log" >&2
    ((rc == 124)) && die "building InfluxDB $INFLUX18_VERSION took more than ${BUILD_TIMEOUT}s (STACK_BUILD_TIMEOUT); full log: $build_log"
    die "could not build InfluxDB $INFLUX18_VERSION (it needs the Go module proxy; GOPROXY=$(go env GOPROXY)); full log: $build_log"
  fi
  "$INFLUX18_HOME/bin.tmp/influxd" version 2>&1 | grep -qF "v$INFLUX18_VERSION " \
    || die "the influxd built in $INFLUX18_HOME/bin.tmp does not say it is $INFLUX18_VERSION"
  mv -f "$INFLUX18_HOME/bin.tmp/influxd" "$INFLUX18_BIN"
  rm -rf "$INFLUX18_HOME/bin.tmp"
  date -u +%FT%TZ >"$INFLUX18_HOME/.complete"
  log "InfluxDB $INFLUX18_VERSION built in $((SECONDS - t0))s: $INFLUX18_BIN ($(($(stat -c %s "$INFLUX18_BIN") >> 20)) MiB)"
}

# The version an influxd binary reports, e.g. 1.6.7~rc0 for Debian's.
influxd_version() {
  "$1" version 2>/dev/null | sed -n 's/^InfluxDB v\([^ ]*\) .*/\1/p'
}

ensure_curl() {
  command -v curl >/dev/null || apt_install curl
}

# influx_write_config NAME HTTP_PORT RPC_PORT AUTH(true|false) [HTTP_EXTRA]
# HTTP_EXTRA: lines for [http] that only newer versions know.
influx_write_config() {
  local name=$1 http_port=$2 rpc_port=$3 auth=$4 http_extra=${5:-} dir="$STACK_DIR/influxdb-$1"
  mkdir -p "$dir/meta" "$dir/data" "$dir/wal"
  cat >"$dir/influxdb.conf" <<EOF
# generated by test/helpers/stack.sh ($name)
reporting-disabled = true
bind-address = "127.0.0.1:$rpc_port"

[meta]
  dir = "$dir/meta"
  logging-enabled = false

[data]
  dir = "$dir/data"
  wal-dir = "$dir/wal"
  index-version = "inmem"
  query-log-enabled = false

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:$http_port"
  auth-enabled = $auth
  log-enabled = false
$http_extra

[subscriber]
  enabled = false

[continuous_queries]
  log-enabled = false

[logging]
  level = "warn"
  suppress-logo = true
EOF
}

influx_pid() { our_pid "influxdb-$1" "$STACK_DIR/influxdb-$1/influxdb.conf"; }

ping_code() {
  curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$1/ping" 2>/dev/null || true
}

influx_wait() {
  local name=$1 port=$2 pid=$3 deadline=$((SECONDS + START_TIMEOUT))
  log "waiting for InfluxDB $name on 127.0.0.1:$port..."
  while ((SECONDS < deadline)); do
    kill -0 "$pid" 2>/dev/null \
      || die "InfluxDB $name exited during startup; see $STACK_DIR/influxdb-$name/influxd.log"
    [[ $(ping_code "$port") == 204 ]] && return 0
    sleep 0.2
  done
  die "InfluxDB $name did not answer /ping within ${START_TIMEOUT}s; see $STACK_DIR/influxdb-$name/influxd.log"
}

# influx_up NAME INFLUXD HTTP_PORT HTTP_VAR RPC_PORT RPC_VAR AUTH [HTTP_EXTRA]
influx_up() {
  local name=$1 influxd=$2 port=$3 port_var=$4 rpc_port=$5 rpc_var=$6 auth=$7 http_extra=${8:-} pid
  if pid=$(influx_pid "$name"); then
    # The config file was written when this process started.
    grep -qF "bind-address = \"127.0.0.1:$port\"" "$STACK_DIR/influxdb-$name/influxdb.conf" \
      || die "our InfluxDB $name (pid $pid) runs with another port (see $STACK_DIR/influxdb-$name/influxdb.conf); run 'down' first to change ports"
    if [[ $(ping_code "$port") == 204 ]]; then
      log "InfluxDB $name already running (pid $pid)"
    else
      influx_wait "$name" "$port" "$pid"   # started by an earlier run, still coming up
    fi
    return 0
  fi
  require_free_port "$port" "$port_var"
  require_free_port "$rpc_port" "$rpc_var"
  influx_write_config "$name" "$port" "$rpc_port" "$auth" "$http_extra"
  log "starting InfluxDB $name ($influxd)"
  # INFLUXDB_* variables would override the generated config; drop them.
  local unset_vars=() v
  for v in $(compgen -e); do
    [[ $v == INFLUXDB_* ]] && unset_vars+=(-u "$v")
  done
  start_daemon "influxdb-$name" "$STACK_DIR/influxdb-$name/influxd.log" \
    env "${unset_vars[@]}" "$influxd" run -config "$STACK_DIR/influxdb-$name/influxdb.conf"
  influx_wait "$name" "$port" "$(<"$(pid_file "influxdb-$name")")"
}

# Creates the admin user on the auth instance unless it already works.
influx_auth_admin() {
  local url="http://127.0.0.1:$INFLUX_AUTH_PORT/query" code body
  code=$(curl -s -o /dev/null -w '%{http_code}' -u "$INFLUX_ADMIN_USER:$INFLUX_ADMIN_PASSWORD" \
    --data-urlencode "q=SHOW USERS" "$url" || true)
  [[ $code == 200 ]] && return 0
  log "creating InfluxDB admin user '$INFLUX_ADMIN_USER' on influx-auth"
  body=$(curl -s -w '\n%{http_code}' -XPOST "$url" \
    --data-urlencode "q=CREATE USER $INFLUX_ADMIN_USER WITH PASSWORD '$INFLUX_ADMIN_PASSWORD' WITH ALL PRIVILEGES" || true)
  [[ ${body##*$'\n'} == 200 && $body != *'"error"'* ]] \
    || die "could not create the admin user on influx-auth: ${body%$'\n'*} (does '$INFLUX_ADMIN_USER' exist with another password? 'down --purge' resets it)"
}

# ---------------------------------------------------------------- commands

# $1 as a JSON string (quotes and backslashes escaped; no control characters expected).
json_str() {
  local s=${1//\\/\\\\}
  printf '"%s"' "${s//\"/\\\"}"
}

write_stack_json() {
  local version
  version=$(influxd_version "$(command -v influxd)")
  cat >"$STACK_JSON.tmp" <<EOF
{"kafka": {"brokers": ["127.0.0.1:$KAFKA_PORT"]}, "kafkaSsl": {"brokers": ["127.0.0.1:$KAFKA_SSL_PORT"], "caFile": $(json_str "$TLS_DIR/ca.pem")}, "kafkaSasl": {"brokers": ["127.0.0.1:$KAFKA_SASL_PORT"], "mechanism": "$KAFKA_SASL_MECHANISM", "username": "$KAFKA_SASL_USER", "password": "$KAFKA_SASL_PASSWORD"}, "influx": {"url": "http://127.0.0.1:$INFLUX_PORT", "version": "$version"}, "influxAuth": {"url": "http://127.0.0.1:$INFLUX_AUTH_PORT", "user": "$INFLUX_ADMIN_USER", "password": "$INFLUX_ADMIN_PASSWORD", "version": "$version"}, "influx18": {"url": "http://127.0.0.1:$INFLUX18_PORT", "version": "$INFLUX18_VERSION"}}
EOF
  mv "$STACK_JSON.tmp" "$STACK_JSON"
}

# Serialises up/down runs started at the same time (e.g. parallel test files).
take_lock() {
  mkdir -p "$STACK_DIR"
  command -v flock >/dev/null || return 0
  exec 9>"$STACK_DIR/.lock"
  flock 9
}

# Before starting anything: every port of a service that is not already
# running must be free, so a clash does not leave a half-started stack.
preflight_ports() {
  if ! kafka_pid >/dev/null; then
    kafka_require_free_ports
  fi
  if ! influx_pid influx >/dev/null; then
    require_free_port "$INFLUX_PORT" INFLUX_PORT
    require_free_port "$INFLUX_RPC_PORT" INFLUX_RPC_PORT
  fi
  if ! influx_pid influx-auth >/dev/null; then
    require_free_port "$INFLUX_AUTH_PORT" INFLUX_AUTH_PORT
    require_free_port "$INFLUX_AUTH_RPC_PORT" INFLUX_AUTH_RPC_PORT
  fi
  if ! influx_pid influx18 >/dev/null; then
    require_free_port "$INFLUX18_PORT" INFLUX18_PORT
    require_free_port "$INFLUX18_RPC_PORT" INFLUX18_RPC_PORT
  fi
}

cmd_up() {
  take_lock
  local t0=$SECONDS
  check_java
  ensure_curl
  ensure_influxd
  mkdir -p "$RUN_DIR"
  preflight_ports
  influx18_build
  influx_up influx influxd "$INFLUX_PORT" INFLUX_PORT "$INFLUX_RPC_PORT" INFLUX_RPC_PORT false
  influx_up influx-auth influxd "$INFLUX_AUTH_PORT" INFLUX_AUTH_PORT "$INFLUX_AUTH_RPC_PORT" INFLUX_AUTH_RPC_PORT true
  influx_auth_admin
  influx_up influx18 "$INFLUX18_BIN" "$INFLUX18_PORT" INFLUX18_PORT "$INFLUX18_RPC_PORT" INFLUX18_RPC_PORT false \
    '  flux-enabled = false'
  kafka_up
  write_stack_json
  cat <<EOF
stack up in $((SECONDS - t0))s:
  Kafka $KAFKA_VERSION          127.0.0.1:$KAFKA_PORT (controller 127.0.0.1:$KAFKA_CONTROLLER_PORT)  log: .stack/kafka/kafka.log
    SSL                127.0.0.1:$KAFKA_SSL_PORT  CA: .stack/tls/ca.pem (Java truststore: .stack/tls/truststore.p12, password $TLS_STORE_PASSWORD)
    SASL_PLAINTEXT     127.0.0.1:$KAFKA_SASL_PORT  $KAFKA_SASL_MECHANISM user $KAFKA_SASL_USER / $KAFKA_SASL_PASSWORD
  InfluxDB (no auth)   http://127.0.0.1:$INFLUX_PORT  (Debian's influxd $(influxd_version "$(command -v influxd)"))
  InfluxDB (auth)      http://127.0.0.1:$INFLUX_AUTH_PORT  user $INFLUX_ADMIN_USER / $INFLUX_ADMIN_PASSWORD
  InfluxDB $INFLUX18_VERSION      http://127.0.0.1:$INFLUX18_PORT  (no auth)
  endpoints: .stack/stack.json
EOF
}

cmd_down() {
  local purge=0
  case "${1:-}" in
    "") ;;
    --purge) purge=1 ;;
    *) die "unknown option for down: $1" ;;
  esac
  take_lock
  local pids=() names=() pid
  if pid=$(kafka_pid); then pids+=("$pid"); names+=(kafka); fi
  if pid=$(influx_pid influx); then pids+=("$pid"); names+=(influx); fi
  if pid=$(influx_pid influx-auth); then pids+=("$pid"); names+=(influx-auth); fi
  if pid=$(influx_pid influx18); then pids+=("$pid"); names+=(influx18); fi
  if ((${#pids[@]})); then
    log "stopping ${names[*]}..."
    stop_pids "${pids[@]}"
  else
    log "nothing running"
  fi
  rm -f "$RUN_DIR"/*.pid "$STACK_JSON"
  if ((purge)); then
    log "purging data and logs (keeping $CACHE_DIR and the certificates in $TLS_DIR)"
    rm -rf "$KAFKA_DIR" "$STACK_DIR/influxdb-influx" "$STACK_DIR/influxdb-influx-auth" "$STACK_DIR/influxdb-influx18" "$RUN_DIR"
  fi
}

cmd_status() {
  local pid rc=0
  if pid=$(kafka_pid); then
    echo "kafka        running  pid $pid  127.0.0.1:$KAFKA_PORT (SSL :$KAFKA_SSL_PORT, SASL_PLAINTEXT :$KAFKA_SASL_PORT)"
  else
    echo "kafka        stopped"; rc=3
  fi
  local name port
  for name in influx influx-auth influx18; do
    case $name in
      influx) port=$INFLUX_PORT ;;
      influx-auth) port=$INFLUX_AUTH_PORT ;;
      influx18) port=$INFLUX18_PORT ;;
    esac
    if pid=$(influx_pid "$name"); then
      printf '%-12s running  pid %s  http://127.0.0.1:%s\n' "$name" "$pid" "$port"
    else
      printf '%-12s stopped\n' "$name"; rc=3
    fi
  done
  return "$rc"
}

# Stops Kafka alone (fault tests); `up` starts it again.
cmd_kafka_stop() {
  take_lock
  local pid
  if pid=$(kafka_pid); then
    log "stopping kafka..."
    stop_pids "$pid"
  fi
}

cmd_env() {
  [[ -f $STACK_JSON ]] || die "the stack is not up ($STACK_JSON missing); run: bash test/helpers/stack.sh up"
  cat "$STACK_JSON"
}

main() {
  local cmd=${1:-}
  (($#)) && shift
  case "$cmd" in
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    status) cmd_status "$@" ;;
    env) cmd_env "$@" ;;
    kafka-stop) cmd_kafka_stop ;;
    *) echo "usage: bash test/helpers/stack.sh up|down [--purge]|status|env|kafka-stop" >&2; exit 2 ;;
  esac
}

main "$@"
