/**
 * Bedrock model ids, apart from the scorer so that naming a scorer (its cache identity) does
 * not load the AWS SDK.
 *
 * The design names Claude 3 Sonnet, but Anthropic's Claude 3 Sonnet is closed to new Bedrock
 * customers, so the default is a current Claude Sonnet. Current Claude models are invoked
 * through a cross-region inference profile (the `us.` / `eu.` / `apac.` / `global.` prefix),
 * not the bare model id; use the prefix of the region the function runs in.
 */
export const CLAUDE_SONNET_4_6_US = 'us.anthropic.claude-sonnet-4-6';
export const CLAUDE_SONNET_4_5_US = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
/** The design's model; still selectable in accounts that have access to it. */
export const CLAUDE_3_SONNET = 'anthropic.claude-3-sonnet-20240229-v1:0';
export const DEFAULT_BEDROCK_MODEL_ID = CLAUDE_SONNET_4_6_US;

/** The scorer id a Bedrock model scores under (in each score and in the score cache's key). */
export const bedrockScorerId = (modelId: string = DEFAULT_BEDROCK_MODEL_ID): string =>
  `bedrock:${modelId}`;
