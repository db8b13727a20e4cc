#!/bin/sh
# tests/lib/mkkext.sh BUNDLE ID SIGNING [PKI]: writes a minimal kext bundle for golden cases.
#
# BUNDLE is the .kext folder to make (parents are created), ID its CFBundleIdentifier, and
# SIGNING one of: a Team ID (signed by PKI/leaf.pem, made by tests/fixtures/make_pki.sh
# PKI, with that Team ID in the CodeDirectory), "adhoc" (an ad-hoc signature), or
# "codeless" (no executable). The executable is tests/fixtures/cs_sign.py's minimal thin
# x86_64 MH_KEXT_BUNDLE, named after the bundle folder. Exit 77 without python3/openssl.
set -eu
bundle=${1:?usage: mkkext.sh BUNDLE ID SIGNING [PKI]}
id=${2:?}
signing=${3:?}
pki=${4:-}
src=$(cd "$(dirname "$0")/.." && pwd)
name=$(basename "$bundle" .kext)

command -v python3 >/dev/null 2>&1 || { echo "python3 missing" >&2; exit 77; }
command -v openssl >/dev/null 2>&1 || { echo "openssl missing" >&2; exit 77; }
mkdir -p "$bundle/Contents"
exe_key=""
if [ "$signing" != codeless ]; then
	exe_key="	<key>CFBundleExecutable</key>
	<string>$name</string>"
fi
cat >"$bundle/Contents/Info.plist" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>CFBundleIdentifier</key>
	<string>$id</string>
$exe_key
	<key>CFBundleInfoDictionaryVersion</key>
	<string>6.0</string>
	<key>CFBundleName</key>
	<string>$name</string>
	<key>CFBundlePackageType</key>
	<string>KEXT</string>
	<key>CFBundleVersion</key>
	<string>1.0.0</string>
	<key>OSBundleLibraries</key>
	<dict>
		<key>com.apple.kpi.libkern</key>
		<string>16.0</string>
	</dict>
</dict>
</plist>
EOF
# Info.plist first: cs_sign.py seals it (special slot 1) when signing the executable.
if [ "$signing" != codeless ]; then
	mkdir -p "$bundle/Contents/MacOS"
	if [ "$signing" = adhoc ]; then
		python3 "$src/fixtures/cs_sign.py" "$bundle/Contents/MacOS/$name" --adhoc
	else
		python3 "$src/fixtures/cs_sign.py" "$bundle/Contents/MacOS/$name" \
			--signer "$pki/leaf.pem" --key "$pki/leaf.key" --chain "$pki/chain.pem" \
			--team "$signing"
	fi
fi
