# cmake -DINPUT=FILE -DOUTPUT=FILE.inc -P EmbedText.cmake
# Writes FILE's text as a C++ raw string literal, for an #include inside an
# initializer.
file(READ "${INPUT}" text)
file(WRITE "${OUTPUT}" "R\"tfm_embedded(${text})tfm_embedded\"\n")
