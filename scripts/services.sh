#!/usr/bin/env bash
# Make sure RabbitMQ and Redis answer on 127.0.0.1: start them when they are down, install them
# with apt-get when they are missing (a fresh Debian machine), then wait until both answer.
set -euo pipefail

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

apt_install() { "$(dirname "$0")/apt-install.sh" services "$@"; }

redis_up() { answers 6379 && redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }
rabbit_up() { answers 5672 && rabbitmq-diagnostics -q check_port_connectivity >/dev/null 2>&1; }

if ! redis_up; then
  command -v redis-server >/dev/null || apt_install redis-server redis-tools
  echo "services: starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi

if ! answers 5672; then
  command -v rabbitmq-server >/dev/null || apt_install rabbitmq-server
  echo "services: starting RabbitMQ"
  rabbitmq-server -detached
fi

for _ in $(seq 1 120); do
  if redis_up && rabbit_up; then
    echo "services: RabbitMQ and Redis answer"
    exit 0
  fi
  sleep 1
done
redis_up || echo "services: Redis does not answer on 127.0.0.1:6379" >&2
rabbit_up || echo "services: RabbitMQ does not answer on 127.0.0.1:5672" >&2
exit 1
