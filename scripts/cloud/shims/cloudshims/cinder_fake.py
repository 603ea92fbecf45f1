"""Cinder's own fake logging driver, minus the image copy it cannot do here.

FakeLoggingVolumeDriver runs qemu-img and os-brick to write an image into a
volume; a test cloud has no block device, so a volume from an image is only
created, which is what boot from volume needs from the API.
"""
from cinder.tests import fake_driver


class FakeImageVolumeDriver(fake_driver.FakeLoggingVolumeDriver):
    def copy_image_to_volume(self, context, volume, image_service, image_id,
                             disable_sparse=False):
        pass

    def clone_image(self, context, volume, image_location, image_meta,
                    image_service):
        return None, False
