# Builds the addon with node-gyp: the SWIG wrapper (generated here from
# couponlib.i), the C helpers of src/, and the core library's own sources
# (the list in ../../src/meson.build), so the addon needs no installed
# couponlib, only libyaml, PCRE2 and libbsd (found with pkg-config).
{
  'targets': [{
    'target_name': 'couponlib_native',
    'sources': [
      'src/clnode.c',
      '<!@(node tools/core-sources.js)',
    ],
    'include_dirs': ['../../include', '../../src', 'src'],
    'defines': ['CL_BUILDING_LIBRARY'],
    # -O2 as in the meson build (node-gyp's default is -O3).
    'cflags!': ['-O3'],
    'cflags': ['-O2', '-fvisibility=hidden', '<!@(pkg-config --cflags yaml-0.1 libpcre2-8 libbsd)'],
    'cflags_c': ['-std=c11', '-D_POSIX_C_SOURCE=200809L', '-D_DEFAULT_SOURCE'],
    'cflags_cc': ['-std=gnu++17', '-Wno-unused-parameter'],
    'libraries': ['<!@(pkg-config --libs yaml-0.1 libpcre2-8 libbsd)', '-pthread'],
    'actions': [{
      'action_name': 'swig',
      'inputs': ['couponlib.i', 'src/clnode.h', '../../include/couponlib/couponlib.h'],
      'outputs': ['<(INTERMEDIATE_DIR)/couponlib_wrap.cxx'],
      'action': ['swig', '-javascript', '-node', '-c++', '-I../../include', '-Isrc',
                 '-o', '<@(_outputs)', 'couponlib.i'],
      'process_outputs_as_sources': 1,
    }, {
      # The shipped calendars, embedded as src/meson.build does it.
      'action_name': 'calendars',
      'inputs': ['../../scripts/embed_calendars.py', '<!@(node tools/calendar-files.js)'],
      'outputs': ['<(INTERMEDIATE_DIR)/calendars_data.c'],
      'action': ['python3', '../../scripts/embed_calendars.py', '<@(_outputs)',
                 '<!@(node tools/calendar-files.js)'],
      'process_outputs_as_sources': 1,
    }],
  }],
}
