# Shared by the tests/cases/profiles-*/ setups: writes small configuration profiles.
# kp ID UUID-SUFFIX KEYS: a kernel-extension-policy payload; sp ...: a system-extension one;
# profile FILE ID UUID-PREFIX PAYLOADS: the envelope (PayloadUUIDs are PREFIX-...-0000).
kp() {
	printf '<dict><key>PayloadType</key><string>com.apple.syspolicy.kernel-extension-policy</string>'
	printf '<key>PayloadIdentifier</key><string>%s</string><key>PayloadUUID</key><string>%s</string>' "$1" "$2"
	printf '<key>PayloadVersion</key><integer>1</integer>%s</dict>\n' "$3"
}
sp() {
	printf '<dict><key>PayloadType</key><string>com.apple.system-extension-policy</string>'
	printf '<key>PayloadIdentifier</key><string>%s</string><key>PayloadUUID</key><string>%s</string>' "$1" "$2"
	printf '<key>PayloadVersion</key><integer>1</integer>%s</dict>\n' "$3"
}
profile() {
	{
		printf '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict>\n'
		printf '<key>PayloadIdentifier</key><string>%s</string>\n' "$2"
		printf '<key>PayloadUUID</key><string>%s</string>\n' "$3"
		printf '<key>PayloadType</key><string>Configuration</string>\n'
		printf '<key>PayloadVersion</key><integer>1</integer>\n'
		printf '<key>PayloadContent</key><array>\n%s</array></dict></plist>\n' "$4"
	} >"$1"
}
T='<key>AllowedTeamIdentifiers</key><array><string>ABCDE12345</string></array>'
K='<key>AllowedKernelExtensions</key><dict><key>UBF8T346G9</key><array><string>com.microsoft.driver</string></array></dict>'
ON='<key>AllowUserOverrides</key><true/>'
OFF='<key>AllowUserOverrides</key><false/>'
# a.mobileconfig: kext team + one kext, overrides on; sysext team FGHIJ67890, removable ext.
a() {
	profile a.mobileconfig com.example.a AAAAAAAA-0000-1000-8000-000000000000 \
		"$(kp com.example.a.kext AAAAAAAA-0000-1000-8000-000000000001 "$ON$T$K")
$(sp com.example.a.sysext AAAAAAAA-0000-1000-8000-000000000002 '<key>AllowedTeamIdentifiers</key><array><string>FGHIJ67890</string></array><key>RemovableSystemExtensions</key><dict><key>FGHIJ67890</key><array><string>com.fg.ext</string></array></dict>')"
}
# b.mobileconfig: overrides off, team QRSTU13579, ABCDE12345 keyed (shadowed in b only).
b() {
	profile b.mobileconfig com.example.b BBBBBBBB-0000-1000-8000-000000000000 \
		"$(kp com.example.b.kext BBBBBBBB-0000-1000-8000-000000000001 "$OFF<key>AllowNonAdminUserApprovals</key><true/><key>AllowedTeamIdentifiers</key><array><string>QRSTU13579</string><string>ABCDE12345</string></array><key>AllowedKernelExtensions</key><dict><key>ABCDE12345</key><array><string>com.abcde.one</string></array><key>UBF8T346G9</key><array><string>com.microsoft.driver</string></array></dict>")
$(sp com.example.b.sysext BBBBBBBB-0000-1000-8000-000000000002 "$OFF<key>AllowedSystemExtensions</key><dict><key>KLMNO24680</key><array><string>com.klm.net</string></array></dict><key>AllowedSystemExtensionTypes</key><dict><key>KLMNO24680</key><array><string>NetworkExtension</string></array></dict>")"
}
