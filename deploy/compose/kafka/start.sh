#!/usr/bin/env bash
# Kafka for compose (the `kafka` service, in the apache/kafka image): one KRaft node whose
# clients connect over SASL_SSL with SCRAM-SHA-512 on :9092 and are allowed only what
# their ACLs say (acls.sh, generated from the code by `aiops topics acls --format script`).
# The controller and inter-broker listeners bind to the container's loopback only: their
# requests are ANONYMOUS and super users, and no other container can reach them. Once the
# broker answers, the users and ACLs are applied through that loopback listener and
# /tmp/aiops-kafka-ready appears (the healthcheck waits for it).
set -euo pipefail
secrets=/secrets
bin=/opt/kafka/bin
config=/tmp/server.properties
password="$(cat "$secrets/kafka.keystore.password")"
cat > "$config" <<PROPERTIES
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:9093
listeners=SASL_SSL://:9092,BROKER://127.0.0.1:9094,CONTROLLER://127.0.0.1:9093
advertised.listeners=SASL_SSL://kafka:9092,BROKER://127.0.0.1:9094
listener.security.protocol.map=SASL_SSL:SASL_SSL,BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=BROKER
controller.listener.names=CONTROLLER
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PKCS12
ssl.keystore.location=$secrets/kafka.p12
ssl.keystore.password=$password
ssl.key.password=$password
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:ANONYMOUS
log.dirs=/var/lib/kafka/data
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
auto.create.topics.enable=false
PROPERTIES
if [[ ! -f /var/lib/kafka/data/meta.properties ]]; then
    "$bin/kafka-storage.sh" format --config "$config" --cluster-id "$("$bin/kafka-storage.sh" random-uuid)"
fi
"$bin/kafka-server-start.sh" "$config" &
broker=$!
trap 'kill -TERM "$broker" 2>/dev/null; wait "$broker"' TERM INT
until "$bin/kafka-broker-api-versions.sh" --bootstrap-server 127.0.0.1:9094 >/dev/null 2>&1; do
    kill -0 "$broker" 2>/dev/null || { echo "kafka exited before it answered" >&2; exit 1; }
    sleep 1
done
PATH="$bin:$PATH" BOOTSTRAP=127.0.0.1:9094 SECRETS="$secrets" bash "$(dirname "$0")/acls.sh" apply
touch /tmp/aiops-kafka-ready
echo "kafka: SCRAM users and ACLs applied"
wait "$broker"
