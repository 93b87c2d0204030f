// LivingImage
