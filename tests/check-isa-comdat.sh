#!/usr/bin/env bash
# Guards runtime CPU dispatch: the AVX2/AVX-512 kernel objects are compiled with ISA flags, so any
# weak (COMDAT) function they emit for a shared inline function could be the copy the linker
# keeps, and would then run AVX-512 code on a CPU without it (SIGILL). Fails if a weak function
# in these objects uses ymm/zmm/mask registers. Usage: check-isa-comdat.sh OBJECT... (only
# objects whose file name contains "avx" are examined).
set -euo pipefail
bad=0
for obj in "$@"; do
  case "$(basename "$obj")" in *avx*) ;; *) continue ;; esac
  weak=$(nm --defined-only "$obj" | awk '$2 == "W" || $2 == "V" {print $3}' | sort -u)
  [ -z "$weak" ] && continue
  while read -r sym; do
    [ -z "$sym" ] && continue
    if objdump -d --no-show-raw-insn "--disassemble=$sym" "$obj" 2>/dev/null | grep -qE '%(ymm|zmm)[0-9]|%k[1-7]'; then
      echo "FAIL: $obj: weak symbol $(echo "$sym" | c++filt) uses wide vector registers"
      bad=1
    fi
  done <<<"$weak"
  echo "checked $(wc -l <<<"$weak") weak symbols in $(basename "$obj")"
done
exit $bad
