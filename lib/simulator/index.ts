// STUB — replaced by the WeChat simulator.
export {};
