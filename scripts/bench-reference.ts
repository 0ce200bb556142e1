/**
 * The benchmark's reference: the same composition logic served the way the SDK does it (its `serve`,
 * its generated protobuf codec, its Struct wrapping), so the comparison isolates the runtime.
 */
import { serve, type RunFunctionResponse } from "@crossplane-org/function-sdk-typescript";
import { runFunction } from "../functions/fn.ts";

serve(async (req): Promise<RunFunctionResponse> => runFunction(req), { name: "function-reference" });
