#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# try-build.sh compile NAME DIR CMD...    (CMD writes DIR/obj/NAME.tmp.o)
# try-build.sh link NAME DIR OUT CMD...
#
# One step of building a foreign (will-it-scale) case NAME into DIR
# (harness/wis.mk).  The command is shown, its output shown and kept in
# DIR/log/NAME.log.  A step that fails says so, naming the case, removes
# its output and exits 0, so that the other cases still build; a link step
# for a case whose object did not build does nothing.  compile then makes
# every global symbol but the renamed testcase ones local (objcopy), as for
# the project's own cases.
set -u
step=$1 name=$2 dir=$3
shift 3
log="$dir/log/$name.log"
obj="$dir/obj/$name.o"
mkdir -p "$dir/log" "$dir/obj"
case $step in
compile)
	rm -f "$obj" "$obj.tmp.o" "$dir/log/$name.failed"
	echo "$*"
	keep=""
	for s in testcase testcase_description testcase_prepare \
		 testcase_cleanup testcase_unsupported; do
		keep="$keep -G __case_${name}_$s"
	done
	if "$@" > "$log" 2>&1 &&
	   objcopy $keep "$dir/obj/$name.tmp.o" "$obj" >> "$log" 2>&1; then
		cat "$log" >&2
	else
		cat "$log" >&2
		echo "$dir: will-it-scale case '$name' does not compile" \
		     "(log: $log)" >&2
		rm -f "$obj"
		echo compile > "$dir/log/$name.failed"
	fi
	rm -f "$dir/obj/$name.tmp.o"
	;;
link)
	out=$1
	shift
	rm -f "$out"
	[ -f "$obj" ] || exit 0
	echo "$*"
	if ! "$@" >> "$log" 2>&1; then
		tail -n 20 "$log" >&2
		echo "$dir: will-it-scale case '$name' does not link" \
		     "(log: $log)" >&2
		rm -f "$out"
		echo link > "$dir/log/$name.failed"
	fi
	;;
*)
	echo "try-build.sh: unknown step '$step'" >&2
	exit 2
	;;
esac
exit 0
