#!/bin/bash
# What the Orca screen reader says when it reads a report page aloud ("say all" in browse mode).
#
#   tests/tools/orca_say_all.sh REPORT.html OUT.txt [SECONDS]
#
# Runs Chromium with its accessibility tree exported (--force-renderer-accessibility) on a
# virtual display with Orca, which starts reading a page when it has loaded; OUT.txt gets one
# utterance per line, taken from Orca's debug log (SPEECH OUTPUT), so no synthesizer or sound
# card is needed. Needs Debian's orca, xvfb, openbox, at-spi2-core, dbus-x11 and chromium.
# Keystrokes sent with xdotool did not reach Orca in this set-up, so only the automatic
# "say all" is available (no table or heading navigation).
set -u
page=$(realpath "$1"); out=$2; seconds=${3:-20}
work=$(mktemp -d)
export DISPLAY=:${EVALTOOLS_XDISPLAY:-99} HOME=$work/home XDG_RUNTIME_DIR=$work/xdg
mkdir -p "$HOME" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
export GTK_MODULES=gail:atk-bridge ACCESSIBILITY_ENABLED=1
Xvfb "$DISPLAY" -screen 0 1280x1024x24 >/dev/null 2>&1 & xvfb=$!
sleep 1
openbox >/dev/null 2>&1 & wm=$!
eval "$(dbus-launch --sh-syntax)"
gsettings set org.gnome.desktop.interface toolkit-accessibility true 2>/dev/null
/usr/libexec/at-spi-bus-launcher --launch-immediately >/dev/null 2>&1 & bus=$!
sleep 1
/usr/libexec/at-spi2-registryd --use-gnome-session=false >/dev/null 2>&1 & registry=$!
sleep 1
orca --replace --debug-file="$work/orca.log" >/dev/null 2>&1 & orca=$!
sleep 4
chromium --no-sandbox --force-renderer-accessibility --no-first-run --disable-gpu \
  --user-data-dir="$work/profile" --disable-background-networking --disable-component-update \
  --window-size=1200,1000 "file://$page" >/dev/null 2>&1 & browser=$!
sleep "$seconds"
kill "$browser" "$orca" "$registry" "$bus" "$wm" "$xvfb" "$DBUS_SESSION_BUS_PID" 2>/dev/null
wait 2>/dev/null
grep "SPEECH OUTPUT" "$work/orca.log" | sed -E "s/^.*SPEECH OUTPUT: '(.*)'(\{.*\})?$/\1/" > "$out"
rm -rf "$work"
echo "$(wc -l < "$out") utterances in $out"
