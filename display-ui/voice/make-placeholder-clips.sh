#!/usr/bin/env bash
# Regenerates the placeholder voice pack in this folder: one short Ogg Vorbis clip per name the
# server puts in `announce.clips` (src/domain/announce.rs), plus manifest.json.
#
# Needs espeak-ng (Mandarin read from pinyin: `-v cmn-latn-pinyin`) and sox (with Ogg Vorbis).
#   apt-get install espeak-ng sox libsox-fmt-all
#   display-ui/voice/make-placeholder-clips.sh
#
# These clips are robotic placeholders. A hall replaces them with recorded ones: record a WAV
# or OGG per name below (same names), write a manifest.json like the one made here, put both
# in a folder and set `[voice] pack = "that/folder"` in config/hall.toml (see README.md).
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

rate=16000
# Speak `text` with `voice` into NAME.ogg: 16 kHz mono, silence trimmed at both ends.
say() {
  local name=$1 voice=$2 text=$3
  espeak-ng -v "$voice" -s 150 -p 45 -w "$tmp/$name.wav" "$text"
  sox "$tmp/$name.wav" -r $rate -c 1 -C 0 "$name.ogg" \
    silence 1 0.01 0.5% reverse silence 1 0.01 0.5% reverse gain -n -3
}

# Phrases (pinyin with tone numbers).
say qing          cmn-latn-pinyin "qing3"
say hao           cmn-latn-pinyin "hao4"
say dao           cmn-latn-pinyin "dao4"
say hao_chuangkou cmn-latn-pinyin "hao4 chuang1 kou3"
say chuangkou     cmn-latn-pinyin "chuang1 kou3"
say banli         cmn-latn-pinyin "ban4 li3"
say shi           cmn-latn-pinyin "shi2"
say bai           cmn-latn-pinyin "bai3"
# Digits as halls read them (1 as yi, 0 as ling).
digits=(ling2 yi1 er4 san1 si4 wu3 liu4 qi1 ba1 jiu3)
for d in "${!digits[@]}"; do
  say "d$d" cmn-latn-pinyin "${digits[$d]}"
done
# Letters are read with their English names, as in every Chinese hall (A = "ei").
for l in {a..z}; do
  say "letter_$l" en-us "${l^^}"
done

# The chime: a two-tone ding-dong made with sox.
sox -n -r $rate -c 1 "$tmp/ding.wav" synth 0.45 sine 784 sine 1568 remix - fade p 0.005 0.45 0.4
sox -n -r $rate -c 1 "$tmp/dong.wav" synth 0.9 sine 523 sine 1046 remix - fade p 0.005 0.9 0.85
sox "$tmp/ding.wav" "$tmp/dong.wav" -C 0 chime.ogg gain -n -4

# manifest.json: clip name -> file, in a stable order.
{
  echo '{'
  echo '  "name": "placeholder (espeak-ng cmn-latn-pinyin + sox)",'
  echo '  "gap_ms": 40,'
  echo '  "clips": {'
  first=1
  for f in *.ogg; do
    n=${f%.ogg}
    [ $first -eq 1 ] || echo ','
    printf '    "%s": "%s"' "$n" "$f"
    first=0
  done
  echo
  echo '  }'
  echo '}'
} > manifest.json
echo "wrote $(ls *.ogg | wc -l) clips and manifest.json ($(du -ch *.ogg | tail -1 | cut -f1))"
