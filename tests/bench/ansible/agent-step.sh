#!/bin/bash
# One wofleet-agent command of the bench's playbook:
#   agent-step.sh LOG HOST STEP CONFIG ARGS...
# runs `wofleet-agent --config CONFIG ARGS...` (the bench's node and the built CLI) and
# appends "HOST STEP START_MS END_MS CPU_MS EXIT" to LOG: the agent's own work, as the
# bench counts it (one short line, an atomic append).
set -u
log=$1 host=$2 step=$3 config=$4
shift 4
start=$(date +%s%3N)
"$WOFLEET_BENCH_NODE" "$WOFLEET_BENCH_AGENT_CLI" --config "$config" "$@"
code=$?
end=$(date +%s%3N)
# The CPU of the children this shell waited for: cutime + cstime (fields 16, 17) of /proc/$$/stat.
stat=$(</proc/$$/stat)
read -r -a fields <<<"${stat##*) }"
cpu=$(((fields[13] + fields[14]) * 1000 / $(getconf CLK_TCK)))
echo "$host $step $start $end $cpu $code" >>"$log"
exit "$code"
