#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# deps.sh check|install - the Debian 12 packages slabscale needs.
#
# "check" only says what is missing (and fails); "install" installs the
# missing ones with apt-get when run as root, else says what to run.
set -eu

PACKAGES="gcc make git liburcu-dev libpfm4-dev gnuplot-nox
python3 python3-numpy python3-scipy python3-pytest python3-jsonschema
libjemalloc2 libtcmalloc-minimal4 libmimalloc2.0 valgrind chromium
python3-sqlalchemy python3-alembic python3-psycopg2 postgresql
slurm-wlm munge"

missing() {
	for p in $PACKAGES; do
		st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		case "$st" in
		*"install ok installed"*) ;;
		*) printf '%s ' "$p" ;;
		esac
	done
}

todo=$(missing)
case "${1:-check}" in
check)
	if [ -n "$todo" ]; then
		echo "slabscale: missing Debian packages: $todo" >&2
		echo "slabscale: run 'make deps' as root to install them" >&2
		exit 1
	fi
	;;
install)
	[ -z "$todo" ] && exit 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "slabscale: missing Debian packages: $todo" >&2
		echo "slabscale: as root, run: apt-get install $todo" >&2
		exit 1
	fi
	echo "slabscale: installing $todo"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $todo
	;;
*)
	echo "usage: $0 check|install" >&2
	exit 2
	;;
esac
