# Process helpers shared by control-plane.sh and node.sh (sourced, not run). Each component runs via setsid as its
# own process-group leader (pid == pgid) and is recorded as a "name pid" line in a pids file; a recorded pid is only
# signalled while its command line still names the component (pid reuse guard).

proc_alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }

# is pid still the process we started?
is_ours() { # pid name
  proc_alive "$1" && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q -- "$2"
}

# starts cmd in a process group of its own, output appended to logfile; sets LAUNCHED_PID
start_group() { # logfile cmd...
  local logf="$1"; shift
  setsid "$@" </dev/null >>"$logf" 2>&1 &
  LAUNCHED_PID=$!
}

wait_gone() { # tenths-of-seconds pid...
  local n="$1" i pid alive; shift
  for ((i = 0; i < n; i++)); do
    alive=0
    for pid in "$@"; do proc_alive "$pid" && alive=1; done
    ((alive)) || return 0
    sleep 0.1
  done
  return 1
}

# one line per recorded process, "name pid running|DEAD"; fails when none is recorded or one is dead
print_status() { # pidsfile
  local name pid rc=0
  [[ -f "$1" ]] || { echo "not running"; return 1; }
  while read -r name pid; do
    if proc_alive "$pid"; then echo "$name $pid running"; else echo "$name $pid DEAD"; rc=1; fi
  done <"$1"
  return $rc
}
