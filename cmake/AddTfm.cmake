#===- AddTfm.cmake - thin wrappers over the MLIR CMake API ---------------===#
#
# One place for project policy: how tfm libraries link MLIR (libMLIR.so or
# the static component libraries) and where generated docs go.
#
#===----------------------------------------------------------------------===#

# add_tfm_library(name SOURCES... [DEPENDS targets...] [MLIR_LIBS libs...]
#                 [LINK_LIBS libs...])
# MLIR_LIBS are MLIR component libraries; they resolve to libMLIR.so when
# TFM_LINK_MLIR_DYLIB is ON. LINK_LIBS are other (tfm) libraries.
function(add_tfm_library name)
  cmake_parse_arguments(ARG "" "" "DEPENDS;MLIR_LIBS;LINK_LIBS" ${ARGN})
  add_mlir_library(${name} ${ARG_UNPARSED_ARGUMENTS}
    DISABLE_INSTALL
    DEPENDS ${ARG_DEPENDS}
    LINK_LIBS PUBLIC ${ARG_LINK_LIBS})
  mlir_target_link_libraries(${name} PUBLIC ${ARG_MLIR_LIBS})
endfunction()

# add_tfm_tool(name SOURCES... [MLIR_LIBS libs...] [LINK_LIBS libs...])
function(add_tfm_tool name)
  cmake_parse_arguments(ARG "" "" "MLIR_LIBS;LINK_LIBS;DEPENDS" ${ARGN})
  add_llvm_executable(${name} ${ARG_UNPARSED_ARGUMENTS} DEPENDS ${ARG_DEPENDS})
  llvm_update_compile_flags(${name})
  target_link_libraries(${name} PRIVATE ${ARG_LINK_LIBS})
  mlir_target_link_libraries(${name} PRIVATE ${ARG_MLIR_LIBS})
endfunction()

# add_tfm_doc(td_file output_name command...) : generated markdown under
# build/docs, collected by the tfm-doc target.
function(add_tfm_doc td_filename output_file output_directory command)
  add_mlir_doc(${td_filename} ${output_file} ${output_directory} ${command} ${ARGN})
  add_dependencies(tfm-doc ${output_file}DocGen)
endfunction()
