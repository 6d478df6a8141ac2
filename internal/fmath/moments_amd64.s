//go:build !purego

#include "textflag.h"

DATA mmLanes<>+0(SB)/8, $0.0
DATA mmLanes<>+8(SB)/8, $1.0
DATA mmLanes<>+16(SB)/8, $2.0
DATA mmLanes<>+24(SB)/8, $3.0
GLOBL mmLanes<>(SB), RODATA|NOPTR, $32

DATA mmFour<>+0(SB)/8, $4.0
DATA mmFour<>+8(SB)/8, $4.0
DATA mmFour<>+16(SB)/8, $4.0
DATA mmFour<>+24(SB)/8, $4.0
GLOBL mmFour<>(SB), RODATA|NOPTR, $32

// func momentsAVX2(acc *[6][4]float64, e, t *float64, n int, start, step, off float64)
//
// Moments' loop on n points (a multiple of 4), four lanes at a time, lane
// l taking the points i = l mod 4, each sum's four lanes in one register;
// the operations are the Go loop's, in its order (no fused multiply-add).
// The lanes' x is off + i, counted up in float64 (exact below 2^53).
TEXT ·momentsAVX2(SB), NOSPLIT, $0-56
	MOVQ         acc+0(FP), DI
	MOVQ         e+8(FP), SI
	MOVQ         t+16(FP), DX
	MOVQ         n+24(FP), CX
	VBROADCASTSD start+32(FP), Y8
	VBROADCASTSD step+40(FP), Y7
	VBROADCASTSD off+48(FP), Y6
	VADDPD       mmLanes<>(SB), Y6, Y6
	VMOVUPD      mmFour<>(SB), Y9
	VMOVUPD      0(DI), Y0
	VMOVUPD      32(DI), Y1
	VMOVUPD      64(DI), Y2
	VMOVUPD      96(DI), Y3
	VMOVUPD      128(DI), Y4
	VMOVUPD      160(DI), Y5
	SHRQ         $2, CX
	JZ           done

loop:
	VMULPD  Y7, Y6, Y12
	VADDPD  Y12, Y8, Y12  // d
	VMOVUPD (SI), Y10     // v = e
	VMULPD  (DX), Y10, Y11 // tv = t e
	VADDPD  Y10, Y0, Y0
	VADDPD  Y11, Y3, Y3
	VMULPD  Y12, Y10, Y10 // v d
	VMULPD  Y12, Y11, Y11 // tv d
	VADDPD  Y10, Y1, Y1
	VADDPD  Y11, Y4, Y4
	VMULPD  Y12, Y10, Y13
	VADDPD  Y13, Y2, Y2
	VMULPD  Y12, Y11, Y13
	VADDPD  Y13, Y5, Y5
	VADDPD  Y9, Y6, Y6
	ADDQ    $32, SI
	ADDQ    $32, DX
	DECQ    CX
	JNZ     loop

done:
	VMOVUPD Y0, 0(DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	VMOVUPD Y4, 128(DI)
	VMOVUPD Y5, 160(DI)
	VZEROUPPER
	RET
