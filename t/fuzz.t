#!/usr/bin/env bash
# The parsers under libFuzzer (ASan + UBSan) for a few seconds each: SMTP
# paths and header address lists, queue file envelopes, IPC attribute
# lists, delivery requests and replies, main.cf, the line reader, SASL
# PLAIN and base64, MIME structure, DNS answers, the pipe agent's arguments
# and stdin, the smtp agent's SMTP replies, and the admin's small ones
# (master.cf, SNI map values, quota percentages, the last-login file,
# maildirsize, quota words), DKIM (tag lists, key records, signatures;
# what we sign must verify), SPF records, macros and DMARC records
# (fuzz_spf), a milter's whole side of the conversation, and MTA-STS
# records, policies, cache files and HTTP heads, ARC chains (what we seal
# must pass) and SRS addresses (what we rewrite must reverse).
# Longer runs: fuzz/run SECONDS.
top=$(cd "$(dirname "$0")/.." && pwd)
targets="addr queue attr deliver conf lineio sasl pop3 mime imap dns pipe smtp_reply admin dkim spf milter mtasts arc"
if ! command -v clang >/dev/null; then
	echo "1..0 # SKIP clang is not installed"
	exit 0
fi
set -- $targets
echo "1..$#"
n=0
"$top/fuzz/run" "${FUZZ_SECONDS:-4}" $targets 2>&1 | while read -r word t rest; do
	n=$((n + 1))
	case "$word" in
	ok:)	echo "ok $n - fuzz_$t survives: $rest" ;;
	*)	echo "not ok $n - fuzz_$t: $word $rest" ;;
	esac
done
