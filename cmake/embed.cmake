# Catalogues in data/ are compiled into the library so the tool needs no install path.
# Every file data/*.json becomes an entry of mx_data_get("name.json").
function(macext_embed_data target dir)
	file(GLOB files CONFIGURE_DEPENDS ${dir}/*.json)
	set(out ${CMAKE_BINARY_DIR}/generated/embedded_data.c)
	add_custom_command(OUTPUT ${out}
		COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DDIR=${dir}
			-P ${CMAKE_SOURCE_DIR}/cmake/embed_gen.cmake
		DEPENDS ${files} ${CMAKE_SOURCE_DIR}/cmake/embed_gen.cmake
		COMMENT "embedding data/ catalogues")
	target_sources(${target} PRIVATE ${out})
endfunction()
