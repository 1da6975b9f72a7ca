DROP TABLE extension_capabilities;
