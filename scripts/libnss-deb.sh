#!/bin/sh
# Copied unchanged (below this header) from ../shared/upstream/build-libnss-deb.sh, the build recipe kept
# beside the upstream source tarball STNS-libnss-c55c3265790a.tar.gz (github:STNS/libnss @ c55c326, MIT; see
# ../shared/upstream/README.md). scripts/stns-real-rootfs.sh runs it inside the cached builder root.
# shellcheck disable=SC2086 # $CFLAGS is split into words on purpose, as upstream's Makefile does
#
# Runs INSIDE the builder chroot (Debian 12 with gcc, libc6-dev, libcurl4-openssl-dev).
# Compiles upstream libnss-stns-v2 from /src/libnss (the tarball beside this script, unpacked) against Debian's shared
# libcurl (upstream's Makefile would download and statically link curl/openssl/zlib; no internet here), with
# upstream's CFLAGS, and packages it the way upstream's debian/rules lays it out:
#   /usr/lib/$MULTIARCH/libnss_stns.so.2.0 (+ .so.2, .so links), /usr/lib/stns/stns-key-wrapper,
#   /usr/local/bin/stns-key-wrapper -> /usr/lib/stns/stns-key-wrapper, /etc/stns/client/stns.conf (example).
# usage: build-libnss-deb.sh VERSION OUTDIR
set -eu
VERSION="$1"
OUT="$2"
cd /src/libnss
MA=$(gcc -print-multiarch)
ARCH=$(dpkg --print-architecture)
CFLAGS="-Os -Wall -Wstrict-prototypes -Werror -fPIC -std=c99 -D_GNU_SOURCE -fstack-protector-strong -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2"
B=/tmp/libnss-build
rm -rf "$B" && mkdir -p "$B"
for f in parson toml stns_passwd stns_group stns_shadow stns stns_key_wrapper; do
	gcc $CFLAGS -c "$f.c" -o "$B/$f.o"
done
gcc -Wl,--version-script,libstns.map -shared -Wl,-soname,libnss_stns.so.2 -o "$B/libnss_stns.so.2.0" \
	"$B/stns.o" "$B/stns_passwd.o" "$B/parson.o" "$B/toml.o" "$B/stns_group.o" "$B/stns_shadow.o" -lcurl -lpthread -ldl -lrt
gcc -o "$B/stns-key-wrapper" "$B/stns.o" "$B/stns_key_wrapper.o" "$B/parson.o" "$B/toml.o" -lcurl -lpthread -ldl -lrt

P="$B/pkg"
mkdir -p "$P/DEBIAN" "$P/usr/lib/$MA" "$P/usr/lib/stns" "$P/usr/local/bin" "$P/etc/stns/client" "$P/usr/share/doc/libnss-stns-v2"
install -m 0644 "$B/libnss_stns.so.2.0" "$P/usr/lib/$MA/libnss_stns.so.2.0"
ln -s libnss_stns.so.2.0 "$P/usr/lib/$MA/libnss_stns.so.2"
ln -s libnss_stns.so.2.0 "$P/usr/lib/$MA/libnss_stns.so"
install -m 0755 "$B/stns-key-wrapper" "$P/usr/lib/stns/stns-key-wrapper"
ln -s /usr/lib/stns/stns-key-wrapper "$P/usr/local/bin/stns-key-wrapper"
install -m 0644 stns.conf.example "$P/etc/stns/client/stns.conf"
install -m 0644 LICENSE "$P/usr/share/doc/libnss-stns-v2/copyright"
echo /etc/stns/client/stns.conf >"$P/DEBIAN/conffiles"
install -m 0755 debian/postinst "$P/DEBIAN/postinst"
install -m 0755 debian/postrm "$P/DEBIAN/postrm"
echo "activate-noawait ldconfig" >"$P/DEBIAN/triggers"
CURLV=$(dpkg-query -W -f='${Version}' libcurl4 | sed 's/-[^-]*$//')
LIBCV=$(dpkg-query -W -f='${Version}' libc6 | sed 's/-[^-]*$//')
cat >"$P/DEBIAN/control" <<CTL
Package: libnss-stns-v2
Version: $VERSION
Architecture: $ARCH
Maintainer: stns-fleet tests <tests@localhost>
Installed-Size: $(du -sk "$P" | cut -f1)
Depends: libc6 (>= $LIBCV), libcurl4 (>= $CURLV)
Recommends: cache-stnsd
Section: admin
Priority: optional
Homepage: https://github.com/STNS/libnss
Description: We provide name resolution of Linux user group using STNS.
 Built by the stns-fleet tests from upstream STNS/libnss source
 (linked against Debian's libcurl4 instead of upstream's static curl).
CTL
mkdir -p "$OUT"
dpkg-deb --root-owner-group --build "$P" "$OUT/libnss-stns-v2_${VERSION}_${ARCH}.deb" >/dev/null
echo "$OUT/libnss-stns-v2_${VERSION}_${ARCH}.deb"
