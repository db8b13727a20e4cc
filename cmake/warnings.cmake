# Warnings every developer sees; CI (CI=true) makes them errors (STYLE.md §10.1).
set(MACEXT_WARNINGS -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
	-Wformat=2 -Wvla -Wimplicit-fallthrough -Wundef -Wwrite-strings)
if(MACEXT_WERROR)
	list(APPEND MACEXT_WARNINGS -Werror)
endif()
# Layers that read untrusted bytes also warn on silent truncation.
set(MACEXT_STRICT_LAYERS util format)
