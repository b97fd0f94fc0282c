# CMake toolchain for rdiag.exe: Debian's mingw-w64 (POSIX-threads variant:
# winpthreads and C11 threads) targeting x86_64 Windows, with the static
# dependency sysroot that scripts/windows-deps builds. Pass the sysroot as
# -DRDIAG_WIN_SYSROOT=DIR (scripts/dev build-windows does); the dependency
# builds of scripts/windows-deps use this same file, so the exe and its
# libraries are compiled by one toolchain description.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(RDIAG_WIN_HOST x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${RDIAG_WIN_HOST}-gcc-posix)
set(CMAKE_CXX_COMPILER ${RDIAG_WIN_HOST}-g++-posix)
set(CMAKE_RC_COMPILER ${RDIAG_WIN_HOST}-windres)
set(CMAKE_AR /usr/bin/${RDIAG_WIN_HOST}-ar CACHE FILEPATH "")
set(CMAKE_RANLIB /usr/bin/${RDIAG_WIN_HOST}-ranlib CACHE FILEPATH "")

# try_compile projects see only what is forwarded here.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES RDIAG_WIN_SYSROOT)
if(NOT RDIAG_WIN_SYSROOT AND DEFINED ENV{RDIAG_WIN_SYSROOT})
	set(RDIAG_WIN_SYSROOT $ENV{RDIAG_WIN_SYSROOT})
endif()

set(CMAKE_FIND_ROOT_PATH ${RDIAG_WIN_SYSROOT} /usr/${RDIAG_WIN_HOST})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# A static rdiag.exe: archives before DLL import libraries.
set(CMAKE_FIND_LIBRARY_SUFFIXES .a .dll.a .lib)

# pkg-config looks only into the sysroot and mingw's own tree.
set(ENV{PKG_CONFIG_LIBDIR}
	"${RDIAG_WIN_SYSROOT}/lib/pkgconfig:/usr/${RDIAG_WIN_HOST}/lib/pkgconfig")
unset(ENV{PKG_CONFIG_PATH})
unset(ENV{PKG_CONFIG_SYSROOT_DIR})

# ctest and try_run start Windows programs through wine's 64-bit loader.
set(CMAKE_CROSSCOMPILING_EMULATOR /usr/lib/wine/wine64)
