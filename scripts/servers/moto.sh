#!/usr/bin/env bash
# moto (AWS; PyPI moto[server]): IAM access keys, one live, one deleted, checked through STS.
# Sourced by scripts/servers.sh after lib.sh (which lists the variables start_moto relies on).
# Run on its own: scripts/servers/moto.sh DIR [--port P] = scripts/servers.sh start moto DIR [--port P].
[ "${BASH_SOURCE[0]}" != "$0" ] || exec "$(dirname "$0")/../servers.sh" start moto "$@"

start_moto() {
  need python3 python3
  need curl curl
  need_py moto.server 'moto[server]'
  need_py flask_cors 'moto[server]'
  need_py boto3 'moto[server]'
  LOG="$D/moto.log"
  local url="http://127.0.0.1:$PORT"
  launch "$LOG" python3 -m moto.server -H 127.0.0.1 -p "$PORT"
  wait_ready "$url/moto-api/" "$LOG" curl --noproxy '*' -sf --max-time 2 -o /dev/null "$url/moto-api/"

  # IAM users and keys while authentication is still off; the dead key is deleted after creation.
  MOTO_URL="$url" python3 - >"$D/keys.env" 2>"$D/check.out" <<'EOF' || fail "creating IAM users and keys failed" "$D/check.out" "$LOG"
import os, boto3
iam = boto3.client("iam", endpoint_url=os.environ["MOTO_URL"], region_name="us-east-1",
                   aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
iam.create_user(UserName="svc-live")
live = iam.create_access_key(UserName="svc-live")["AccessKey"]
arn = iam.get_user(UserName="svc-live")["User"]["Arn"]
iam.create_user(UserName="svc-offboarded")
dead = iam.create_access_key(UserName="svc-offboarded")["AccessKey"]
iam.delete_access_key(UserName="svc-offboarded", AccessKeyId=dead["AccessKeyId"])
print("AWS_LIVE_KEY_ID=" + live["AccessKeyId"])
print("AWS_LIVE_SECRET=" + live["SecretAccessKey"])
print("AWS_LIVE_ARN=" + arn)
print("AWS_LIVE_ACCOUNT=" + arn.split(":")[4])
print("AWS_DEAD_KEY_ID=" + dead["AccessKeyId"])
print("AWS_DEAD_SECRET=" + dead["SecretAccessKey"])
EOF
  chmod 600 "$D/keys.env"
  # Authentication on from now (the body must be sent as-is: -d would drop it).
  curl --noproxy '*' -sf --max-time 5 -X POST -H 'Content-Type: text/plain' --data-binary 0 \
    "$url/moto-api/reset-auth" >"$D/check.out" 2>&1 || fail "switching authentication on failed" "$D/check.out" "$LOG"

  local k
  declare -A aws
  while IFS='=' read -r k v; do aws[$k]=$v; done <"$D/keys.env"
  local sts=(curl --noproxy '*' -s --max-time 5 -o "$D/sts.out" -w '%{http_code}' --aws-sigv4 "aws:amz:us-east-1:sts"
             -d "Action=GetCallerIdentity&Version=2011-06-15" "$url/")
  local code
  code=$("${sts[@]}" --user "${aws[AWS_LIVE_KEY_ID]}:${aws[AWS_LIVE_SECRET]}" || true)
  [ "$code" = 200 ] || fail "self-check failed: live key got HTTP $code" "$D/sts.out" "$LOG"
  code=$("${sts[@]}" --user "${aws[AWS_DEAD_KEY_ID]}:${aws[AWS_DEAD_SECRET]}" || true)
  [ "$code" = 403 ] && grep -q InvalidClientTokenId "$D/sts.out" ||
    fail "self-check failed: deleted key got HTTP $code, expected 403 InvalidClientTokenId" "$D/sts.out" "$LOG"

  write_env "AWS_PORT=$PORT" "AWS_PID=$PID" "AWS_ENDPOINT=$url" "AWS_REGION=us-east-1" "AWS_LOG=$LOG" \
    "$(cat "$D/keys.env")"
  rm -f "$D/keys.env"
}
