# Build step: embeds projects/schema.sql into a generated header as a raw string literal, so the
# .sql file stays the single source of truth for the schema.
# Usage: cmake -DIN=<schema.sql> -DOUT=<header> -P embed-schema.cmake
file(READ "${IN}" schema)
string(FIND "${schema}" ")atelier_schema\"" clash)
if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${IN} contains the raw-string delimiter )atelier_schema\"")
endif()
set(text "// Generated from projects/schema.sql by projects/embed-schema.cmake. Do not edit.\n")
string(APPEND text "#pragma once\nnamespace atelier::projects::detail {\n")
string(APPEND text "inline constexpr const char* kSchemaSql = R\"atelier_schema(${schema})atelier_schema\";\n")
string(APPEND text "}  // namespace atelier::projects::detail\n")
file(WRITE "${OUT}.tmp" "${text}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
