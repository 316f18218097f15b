# Shell helpers about processes, sourced by scripts/targets.sh and scripts/servers/lib.sh.

# True if PID exists and is not a zombie (an exited child waiting to be reaped by init).
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}
