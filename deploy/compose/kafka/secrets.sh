#!/usr/bin/env bash
# Makes, once, what compose's Kafka and its clients need for SASL_SSL (run by the
# `kafka-secrets` service in the Kafka image, which has keytool):
#   ca.crt                      the CA every client trusts (ssl.ca.location)
#   kafka.p12                   the broker's key and certificate (CN and SAN "kafka"), signed by that CA
#   kafka.keystore.password     its password
#   <principal>.password        a random SCRAM password per principal (acls.sh creates the users)
#   <principal>.properties      that principal's KAFKA_PROPERTIES, for KAFKA_PROPERTIES_FILE
# The CA's own key is thrown away: a new broker certificate means running this again
# (delete the directory) and restarting everything.
#   secrets.sh DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${1:?usage: secrets.sh DIR}"
mkdir -p "$dir"
cd "$dir"
[[ -f kafka.p12 && -f ca.crt ]] && { echo "Kafka secrets already in $dir"; exit 0; }
rand() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
umask 077
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
pw="$(rand)"
keytool -genkeypair -alias ca -keyalg EC -groupname secp256r1 -dname CN=aiops-kafka-ca -ext bc:c -validity 3650 \
    -keystore "$work/ca.p12" -storetype PKCS12 -storepass "$pw" >/dev/null 2>&1
keytool -exportcert -rfc -alias ca -keystore "$work/ca.p12" -storepass "$pw" > ca.crt 2>/dev/null
keytool -genkeypair -alias kafka -keyalg EC -groupname secp256r1 -dname CN=kafka -validity 825 \
    -keystore "$work/kafka.p12" -storetype PKCS12 -storepass "$pw" >/dev/null 2>&1
keytool -certreq -alias kafka -keystore "$work/kafka.p12" -storepass "$pw" 2>/dev/null \
    | keytool -gencert -rfc -alias ca -keystore "$work/ca.p12" -storepass "$pw" -validity 825 \
        -ext SAN=dns:kafka -ext KU=digitalSignature,keyAgreement -ext EKU=serverAuth > "$work/kafka.crt" 2>/dev/null
keytool -importcert -noprompt -alias ca -file ca.crt -keystore "$work/kafka.p12" -storepass "$pw" >/dev/null 2>&1
keytool -importcert -noprompt -alias kafka -file "$work/kafka.crt" -keystore "$work/kafka.p12" -storepass "$pw" >/dev/null 2>&1
printf '%s' "$pw" > kafka.keystore.password
for p in $(bash "$here/acls.sh" principals); do
    rand > "$p.password"
    printf 'security.protocol=SASL_SSL,sasl.mechanism=SCRAM-SHA-512,sasl.username=%s,sasl.password=%s,ssl.ca.location=/etc/kafka-ca/ca.crt' \
        "$p" "$(cat "$p.password")" > "$p.properties"
done
mv "$work/kafka.p12" kafka.p12
# The broker (uid 1000) and the daemons (uid 10001) read these from a bind mount; each daemon mounts only its own
# properties file. On Kubernetes each pod gets only its own Secret instead (deploy/kafka/README.md).
chmod 0444 ./*
echo "Kafka secrets made in $dir: $(ls | tr '\n' ' ')"
