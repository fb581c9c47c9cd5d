/** Audio core: G.711 μ-law, streaming resamplers, transcoders, frame buffers and WAV. */

export { mulawDecode, mulawEncode, MULAW_SILENCE } from "./mulaw.ts";
export { parseAgentAudioFormat, bytesPerMs, AGENT_AUDIO_FORMATS, type AgentAudioFormat, type AgentAudioFormatInfo } from "./agent-format.ts";
export { createResampler, SUPPORTED_RATES, type StreamResampler } from "./resampler.ts";
export { createUplinkTranscoder, createDownlinkTranscoder, type Transcoder } from "./transcoder.ts";
export { FrameBuffer } from "./frame-buffer.ts";
export { readWav, writeWav, wavToPcm16, type WavAudio } from "./wav.ts";
