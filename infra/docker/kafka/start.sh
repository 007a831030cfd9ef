#!/bin/sh
# Entrypoint of the compose stack's `kafka` service (apache/kafka:4.1.1, runs as appuser).
# 1. Writes the broker config: infra/docker/kafka/server.properties plus the lines with secrets.
# 2. On first start, formats the storage with the SCRAM-SHA-512 users bootstrapped (--add-scram):
#    the admin (super user, inter-broker) and the application principal. Further users and all
#    ACLs come from `lienthong kafka provision`.
# 3. Runs the broker.
set -eu

: "${LIENTHONG_BROKER_ADMIN_USERNAME:?set KAFKA_ADMIN_USERNAME}"
: "${LIENTHONG_BROKER_ADMIN_PASSWORD:?set KAFKA_ADMIN_PASSWORD}"
: "${LIENTHONG_BROKER_APP_USERNAME:?set KAFKA_APP_USERNAME}"
: "${LIENTHONG_BROKER_APP_PASSWORD:?set KAFKA_APP_PASSWORD}"
EXTERNAL_PORT="${LIENTHONG_BROKER_EXTERNAL_PORT:-19092}"
INTERNAL_HOST="${LIENTHONG_BROKER_INTERNAL_HOST:-kafka}"
KAFKA_HOME="${LIENTHONG_BROKER_KAFKA_HOME:-/opt/kafka}"
DATA_DIR="${LIENTHONG_BROKER_DATA_DIR:-/var/lib/kafka/data}"
CONF_DIR="${LIENTHONG_BROKER_CONF_DIR:-/tmp/lienthong-kafka}"
TEMPLATE="$(dirname "$0")/server.properties"

# Names and secrets go into JAAS strings and the --add-scram syntax: keep them to a safe alphabet.
for value in "$LIENTHONG_BROKER_ADMIN_USERNAME" "$LIENTHONG_BROKER_ADMIN_PASSWORD" \
             "$LIENTHONG_BROKER_APP_USERNAME" "$LIENTHONG_BROKER_APP_PASSWORD"; do
  case "$value" in
    *[!A-Za-z0-9_.~-]*)
      echo "kafka/start.sh: Kafka usernames and passwords may only use A-Z a-z 0-9 _ . ~ -" >&2
      exit 2 ;;
  esac
done
if [ "${#LIENTHONG_BROKER_ADMIN_PASSWORD}" -lt 16 ] || [ "${#LIENTHONG_BROKER_APP_PASSWORD}" -lt 16 ]; then
  echo "kafka/start.sh: Kafka passwords must be at least 16 characters (openssl rand -hex 24)" >&2
  exit 2
fi

umask 077
mkdir -p "$CONF_DIR"
CONFIG="$CONF_DIR/server.properties"
scram_jaas="org.apache.kafka.common.security.scram.ScramLoginModule required"
{
  cat "$TEMPLATE"
  echo "log.dirs=$DATA_DIR"
  echo "advertised.listeners=SASL_PLAINTEXT://$INTERNAL_HOST:9092,EXTERNAL://127.0.0.1:$EXTERNAL_PORT,CONTROLLER://127.0.0.1:9093"
  # The CONTROLLER listener is PLAINTEXT on loopback, so its principal is User:ANONYMOUS (STACK.md §1).
  echo "super.users=User:$LIENTHONG_BROKER_ADMIN_USERNAME;User:ANONYMOUS"
  echo "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=$scram_jaas username=\"$LIENTHONG_BROKER_ADMIN_USERNAME\" password=\"$LIENTHONG_BROKER_ADMIN_PASSWORD\";"
  echo "listener.name.external.scram-sha-512.sasl.jaas.config=$scram_jaas;"
} > "$CONFIG"

# Client config for the healthcheck (kafka-broker-api-versions.sh as the admin).
cat > "$CONF_DIR/admin-client.properties" <<PROPS
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=$scram_jaas username="$LIENTHONG_BROKER_ADMIN_USERNAME" password="$LIENTHONG_BROKER_ADMIN_PASSWORD";
PROPS

if [ ! -f "$DATA_DIR/meta.properties" ]; then
  cluster_id="${LIENTHONG_BROKER_CLUSTER_ID:-$("$KAFKA_HOME"/bin/kafka-storage.sh random-uuid)}"
  echo "kafka/start.sh: formatting $DATA_DIR (cluster $cluster_id) with SCRAM-SHA-512 users" \
       "$LIENTHONG_BROKER_ADMIN_USERNAME, $LIENTHONG_BROKER_APP_USERNAME"
  "$KAFKA_HOME"/bin/kafka-storage.sh format --standalone --ignore-formatted \
    -t "$cluster_id" -c "$CONFIG" \
    --add-scram "SCRAM-SHA-512=[name=$LIENTHONG_BROKER_ADMIN_USERNAME,password=$LIENTHONG_BROKER_ADMIN_PASSWORD]" \
    --add-scram "SCRAM-SHA-512=[name=$LIENTHONG_BROKER_APP_USERNAME,password=$LIENTHONG_BROKER_APP_PASSWORD]"
fi

export KAFKA_HEAP_OPTS="${LIENTHONG_BROKER_HEAP_OPTS:--Xms256m -Xmx512m}"
exec "$KAFKA_HOME"/bin/kafka-server-start.sh "$CONFIG"
