#!/usr/bin/env bash
# Browser tests need Debian's chromium and a CJK font. Install them when missing and we are
# root (CI and the dev machines are); otherwise say what to install. Never downloads a browser
# build of its own (no `playwright install`).
set -u
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)  # deploy/nginx/opslab.conf is tested for real
fc-list 2>/dev/null | grep -qi "wqy" || need+=(fonts-wqy-microhei)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing ${need[*]} from Debian's packages…"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "Browser tests need: ${need[*]} (apt-get install ${need[*]}); they will be skipped locally."
fi
exit 0
