/**
 * Model registry: the bundled and user-installed models, resolving a model
 * reference to a folder, and pulling models from the Hugging Face Hub (the one
 * network client in CodeGraph, used only on explicit request).
 */
export { contentMismatch, digestFile, downloadFile, type DownloadRequest, type DownloadResult, type ExpectedContent } from './download.js';
export { DEFAULT_HUB_ENDPOINT, hubEndpoint, listRepoFiles, resolveCommit, resolveUrl, type RepoFile } from './hub.js';
export { installName, userModelsDir, validateRepoId } from './paths.js';
export { pullModel, type PullOptions, type PullProgress, type PullResult } from './pull.js';
export { findModel, listModels, PULL_RECORD, resolveModelReference, type ModelEntry, type ModelFolders, type PullRecord } from './registry.js';
export { OPTIONAL_FILES, planPull, PREFERRED_ONNX, type PullPlan } from './selection.js';
