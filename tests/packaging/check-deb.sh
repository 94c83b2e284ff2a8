#!/bin/sh
# Checks the .deb that the packaging.build_deb test wrote: unpacks it into a scratch root with
# dpkg-deb -x (no root needed), runs the packaged atelier-cli from there, checks the control
# fields, that every shared library the packaged programs need comes from a package named in
# Depends (resolved on this machine with ldconfig + dpkg -S), that every dependency is a real
# package, and with the GUI the desktop entry and the MIME type (through update-mime-database).
# usage: check-deb.sh DEB_DIR VERSION gui|nogui
set -eu
deb_dir=$1 version=$2 flavour=$3
fail() { echo "FAIL: $*" >&2; exit 1; }

deb=$(ls "$deb_dir"/atelier_"$version"_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || fail "no atelier_${version}_*.deb in $deb_dir (did packaging.build_deb run?)"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg-deb -x "$deb" "$root"

# The packaged CLI runs from the scratch root and does real work there.
out=$("$root/usr/bin/atelier-cli" --version)
[ "$out" = "atelier-cli $version" ] || fail "atelier-cli --version said '$out'"
"$root/usr/bin/atelier-cli" project new "$root/check.atelier" --json > "$root/new.json" \
    || fail "packaged atelier-cli could not create a project"
# The version it reports is the one SQLite reads from the file it wrote.
file_version=$(sqlite3 "$root/check.atelier" 'PRAGMA user_version;')
grep -q "\"schema_version\":$file_version[,}]" "$root/new.json" \
    || fail "project new reported $(cat "$root/new.json"), the file says user_version $file_version"

# The embedded subtitle font's licence ships with it.
[ -f "$root/usr/share/doc/atelier/DejaVuSans-LICENSE" ] || fail "no DejaVuSans-LICENSE in /usr/share/doc/atelier"

# Control fields.
[ "$(dpkg-deb -f "$deb" Package)" = atelier ] || fail "Package field"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "Version field"
[ -n "$(dpkg-deb -f "$deb" Maintainer)" ] || fail "no Maintainer"
[ -n "$(dpkg-deb -f "$deb" Description)" ] || fail "no Description"
deps=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/(.*)//; s/[[:space:]]//g' | grep -v '^$')

# Every NEEDED library of every packaged program comes from a declared package.
owner() {  # the package that owns a library file (usrmerge: try the path and its /lib twin)
    for p in "$1" "$(realpath "$1")" "$(realpath "$1" | sed 's|^/usr/lib/|/lib/|')"; do
        o=$(dpkg -S "$p" 2>/dev/null | head -n 1 | cut -d: -f1) && [ -n "$o" ] && { echo "$o"; return; }
    done
}
for exe in "$root"/usr/bin/*; do
    for lib in $(readelf -d "$exe" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p'); do
        path=$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64|x86_64/ { print $NF; exit }')
        [ -z "$path" ] && path=$(ldconfig -p | awk -v l="$lib" '$1 == l { print $NF; exit }')
        [ -n "$path" ] || fail "$(basename "$exe") needs $lib, which this machine cannot resolve"
        pkg=$(owner "$path")
        [ -n "$pkg" ] || fail "no package owns $path ($lib)"
        echo "$deps" | grep -qx "$pkg" || fail "$(basename "$exe") needs $lib from $pkg, which Depends does not list"
    done
done
for d in $deps; do
    dpkg -s "$d" > /dev/null 2>&1 || apt-cache show "$d" > /dev/null 2>&1 || fail "Depends names unknown package $d"
done

if [ "$flavour" = gui ]; then
    [ -x "$root/usr/bin/atelier" ] || fail "no /usr/bin/atelier"
    desktop="$root/usr/share/applications/atelier.desktop"
    grep -qx 'MimeType=application/x-atelier-project;' "$desktop" || fail "desktop entry lacks the MIME type"
    grep -q '^Exec=atelier %f' "$desktop" || fail "desktop entry does not pass the file to atelier"
    if command -v desktop-file-validate > /dev/null; then desktop-file-validate "$desktop" || fail "desktop-file-validate"; fi
    [ -f "$root/usr/share/icons/hicolor/scalable/apps/atelier.svg" ] || fail "no icon"
    # The MIME database tool itself must accept our type and map *.atelier to it.
    mkdir -p "$root/mimedb/packages"
    cp "$root/usr/share/mime/packages/atelier.xml" "$root/mimedb/packages/"
    update-mime-database "$root/mimedb" > "$root/mime.log" 2>&1 \
        || fail "update-mime-database rejected atelier.xml: $(cat "$root/mime.log")"
    grep -q 'application/x-atelier-project:\*\.atelier' "$root/mimedb/globs2" || fail "*.atelier glob not registered"
    grep -aq 'application/x-atelier-project' "$root/mimedb/magic" || fail "magic for .atelier not registered"
    QT_QPA_PLATFORM=offscreen "$root/usr/bin/atelier" --version | grep -q "$version" || fail "atelier --version"
fi
echo "ok: $deb ($flavour)"
