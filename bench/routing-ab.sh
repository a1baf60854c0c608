#!/bin/sh
# Two fresh stackware servers (param:10 and param:1000, bench/servers/routes-stackware.mjs), 1 s wrk runs alternating
# between them, 5 rounds: server CPU per request (µs) for a 404 and a hit. Needs dist/ (npm run build) and wrk.
# Prints: round table path µs. Usage: sh bench/routing-ab.sh
cd "$(dirname "$0")"
for t in param:10 param:1000; do
  taskset -c 1 node servers/routes-stackware.mjs --table=$t > ${TMPDIR:-/tmp}/srv-$t.out &
  echo $! > ${TMPDIR:-/tmp}/srv-$t.pid
done
sleep 2
for t in param:10 param:1000; do p=$(grep -o '[0-9]*' ${TMPDIR:-/tmp}/srv-$t.out); echo $p > ${TMPDIR:-/tmp}/srv-$t.port; done
tick=$(getconf CLK_TCK)
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
for t in param:10 param:1000; do taskset -c 0 wrk -t1 -c50 -d2s http://127.0.0.1:$(cat ${TMPDIR:-/tmp}/srv-$t.port)/api/nope/7 >/dev/null; done
for r in 1 2 3 4 5; do
  for t in param:10 param:1000; do
    for path in /api/nope/7 /api/res9/7; do
      pid=$(cat ${TMPDIR:-/tmp}/srv-$t.pid); b=$(cpu $pid)
      n=$(taskset -c 0 wrk -t1 -c50 -d1s http://127.0.0.1:$(cat ${TMPDIR:-/tmp}/srv-$t.port)$path | grep -o '^ *[0-9]* requests' | grep -o '[0-9]*')
      a=$(cpu $pid); echo "$r $t $path $(echo "($a-$b)*1000000/$tick/$n" | bc -l | cut -c1-6)"
    done
  done
done
kill $(cat ${TMPDIR:-/tmp}/srv-param:10.pid) $(cat ${TMPDIR:-/tmp}/srv-param:1000.pid)
