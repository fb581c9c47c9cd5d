#!/usr/bin/env bash
# Regenerates the echo persona's prompts (8 kHz μ-law WAV) with espeak-ng and sox.
# Needs: apt-get install -y espeak-ng sox. Run from anywhere; the files land beside this script.
set -euo pipefail
cd "$(dirname "$0")"
command -v espeak-ng >/dev/null && command -v sox >/dev/null || {
  echo "make-greeting.sh needs espeak-ng and sox: apt-get install -y espeak-ng sox" >&2
  exit 1
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

say() { # say NAME TEXT
  espeak-ng -v en-us -s 175 -a 140 -w "$tmp/$1.wav" "$2"
  # Telephone band, normalised to -3 dBFS peak, 8 kHz mono μ-law; trim leading/trailing silence.
  sox -R -D "$tmp/$1.wav" -r 8000 -c 1 -e u-law -b 8 "$1.wav" \
    silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse \
    sinc 200-3400 norm -3 pad 0 0.15
  echo "$1.wav: $(soxi -D "$1.wav") s"
}

say greeting "Hello from Homebook. Say something, and I will say it back."
say goodbye "Goodbye."
say transfer "Transferring you now."
