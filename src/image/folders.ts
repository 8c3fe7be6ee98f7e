/** A folder of labelled images in the ImageNet layout: one subfolder per class, images inside. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ModelError } from '../util/errors.js';

/** Image files the runs read. */
export const IMAGE_FILE = /\.(png|jpe?g)$/i;

/** The PNG and JPEG files of a folder, sorted by name. */
export function listImages(folder: string): string[] {
  return readdirSync(folder).filter((f) => IMAGE_FILE.test(f)).sort().map((f) => join(folder, f));
}

export interface ClassFolder {
  /** Subfolder names that hold at least one image, sorted. */
  classes: string[];
  /** Every image with the index of its class, class by class. */
  images: { image: string; label: number }[];
}

export function readClassFolder(folder: string): ClassFolder {
  let entries: string[];
  try {
    entries = readdirSync(folder).sort();
  } catch {
    throw new ModelError('is not a readable folder', folder);
  }
  const classes: string[] = [];
  const images: ClassFolder['images'] = [];
  for (const name of entries) {
    const dir = join(folder, name);
    if (!statSync(dir).isDirectory()) continue;
    const files = listImages(dir);
    if (files.length === 0) continue;
    for (const image of files) images.push({ image, label: classes.length });
    classes.push(name);
  }
  if (classes.length === 0) throw new ModelError('has no class subfolders with PNG/JPEG images (one subfolder per class, images inside)', folder);
  return { classes, images };
}
